"""Grad-CAM (Selvaraju et al., 2017) on the detector's backbone: the usual post-hoc explanation, to set
beside the paper's attention maps.

The map of stage k is ReLU(sum_c w_c A_c) with w_c the spatial mean of d(±logit)/dA_c: where the
features that push the score towards the target (fake for +1, real for -1) are. It is resampled to
the LDA patch grid so it can be drawn and measured like the LDA maps.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..model.detector import LDADetector


def grad_cam(detector: LDADetector, clip: torch.Tensor, stage: int = -1, target: float = 1.0) -> torch.Tensor:
    """(B, n+1, 3, S, S) clip -> (B, g, g) Grad-CAM in [0, 1] (each map divided by its maximum; all zeros
    when no feature pushes towards the target). Runs with gradients even under `torch.inference_mode`."""
    grid = detector.config.grid_size
    with torch.inference_mode(False), torch.enable_grad():
        x = clip.detach().clone()  # a tensor made under inference_mode cannot enter autograd
        stages, _ = detector.forward_stages(x)
        feats = stages[stage]  # (B, C, H, W)
        logit = detector.forward_head(stages[-1])  # (B,)
        (grads,) = torch.autograd.grad((target * logit).sum(), feats)
        weights = grads.mean(dim=(2, 3), keepdim=True)  # (B, C, 1, 1)
        cam = F.relu((weights * feats).sum(dim=1, keepdim=True)).detach()  # (B, 1, H, W)
    cam = F.interpolate(cam, size=(grid, grid), mode="bilinear", align_corners=False)[:, 0]  # (B, g, g)
    peak = cam.flatten(1).amax(dim=1).clamp_min(1e-12)  # (B,)
    return cam / peak[:, None, None]
