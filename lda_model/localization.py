"""The defect experiment (the paper's Fig. 8) on one clip: shared by `evaluate localization`
and the app's defect lab."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .analysis import crops_to_tensor, fit_clip
from .defects import apply_defect, attention_difference, grid_region, localization_hit
from .model import LDADetector


@dataclass
class DefectResult:
    original: np.ndarray  # (S, S, 3) frame t crop
    tampered: np.ndarray  # (S, S, 3)
    region: np.ndarray  # (S, S) bool
    cells: np.ndarray  # (g, g) bool
    maps_before: np.ndarray  # (m, g, g) spatial maps (or temporal guide when no spatial branch)
    maps_after: np.ndarray
    diff: np.ndarray  # (g, g)
    peak: tuple[int, int]
    hit: bool
    rises: bool  # mean change over the region's patches > 0
    chance: float
    score_before: float
    score_after: float


@torch.inference_mode()
def defect_experiment(detector: LDADetector, crops: np.ndarray, landmarks: np.ndarray, kind: str,
                      strength: float, box: tuple[float, float, float, float] | None = None) -> DefectResult:
    """Put a defect on every frame of a clip (n+1, S, S, 3) at landmark-located regions (crop
    coordinates) and compare the attention maps before and after. A clip shorter than n+1 frames
    is padded with its last frame. ValueError for an unknown defect or a model without maps."""
    cfg = detector.config
    crops = fit_clip(crops, cfg.clip_length)
    tampered, masks = zip(*(apply_defect(c, landmarks, kind, strength, box) for c in crops))
    x = crops_to_tensor(np.stack([crops, np.stack(tampered)]), cfg.backbone_size, cfg.mean, cfg.std)
    out = detector(x)
    maps = [m for m in (out.spatial_maps, out.temporal_guide) if m is not None]
    if not maps:
        raise ValueError("these weights have no attention branch (backbone only): pick another checkpoint")
    before, after = [m[0].numpy() for m in maps], [m[1].numpy() for m in maps]
    diff = attention_difference(before, after)
    hit, peak, chance, rises = localization_hit(diff, masks[0])
    probs = out.probabilities.numpy()
    return DefectResult(crops[0], tampered[0], masks[0], grid_region(masks[0], diff.shape[0]), before[0], after[0],
                        diff, peak, hit, rises, chance, float(probs[0]), float(probs[1]))

