"""Score arrays of prepared clips in batches: fake probabilities and frame t's attention."""

from __future__ import annotations

import numpy as np
import torch

from ..model.detector import LDADetector
from .gradcam import post_hoc_maps
from .transforms import crops_to_tensor


def score_clips(detector: LDADetector, clips: np.ndarray, batch: int = 32) -> np.ndarray:
    """clips (N, n+1, S, S, 3) uint8 -> fake probabilities (N,)."""
    return score_clips_with_attention(detector, clips, batch)[0]


@torch.inference_mode()
def score_clips_with_attention(detector: LDADetector, clips: np.ndarray, batch: int = 32,
                               with_grad_cam: bool = False) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """clips (N, n+1, S, S, 3) uint8 -> fake probabilities (N,) and frame t's attention (N, g, g) two
    ways: "activations" (`LDAOutput.frame_activation`, the LDA modules' own mean activation) and
    "maps" (`LDAOutput.frame_map`, the mean gating map); an empty dict for a model without attention;
    plus "forgery_map" (`LDAOutput.forgery_map`) for a model with a forgery-map head.
    `with_grad_cam` adds the post-hoc maps towards fake (`gradcam.post_hoc_maps`: "grad_cam", "hires_cam",
    "two_scale_cam" for any model, "forgery_map_cam" with a forgery-map head)."""
    cfg = detector.config
    device = next(detector.parameters()).device  # the clips go where the model is (evaluate --device)
    probs, att = [], {}
    for i in range(0, len(clips), batch):
        x = crops_to_tensor(clips[i:i + batch], cfg.backbone_size, cfg.mean, cfg.std).to(device)
        out = detector(x)
        probs.append(out.probabilities.float().cpu().numpy())
        maps = out.frame_map()  # None for a model without attention branches
        if maps is not None:
            att.setdefault("activations", []).append(out.frame_activation().cpu().numpy())
            att.setdefault("maps", []).append(maps.cpu().numpy())
        if out.forgery_map is not None:  # the forgery-map head's prediction (`mask_head_from` >= 0)
            att.setdefault("forgery_map", []).append(out.forgery_map.float().cpu().numpy())
        if with_grad_cam:
            for name, cam in post_hoc_maps(detector, x).items():
                att.setdefault(name, []).append(cam.cpu().numpy())
    return (np.concatenate(probs) if probs else np.zeros(0)), {k: np.concatenate(v) for k, v in att.items()}
