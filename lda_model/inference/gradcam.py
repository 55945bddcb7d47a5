"""Post-hoc explanations of the detector's score, to set beside the paper's attention maps.

- `grad_cam` (Selvaraju et al., 2017): ReLU(sum_c w_c A_c) on one stage's features A, w_c the spatial
  mean of d(±logit)/dA_c: where the features that push the score towards the target (fake for +1, real
  for -1) are. On the last stage (stride 32) it is coarse: it covers a blended region but cannot point
  at a small defect.
- HiResCAM (Draelos & Carin, 2020): ReLU(sum_c dlogit/dA_c * A_c), the gradient kept per position, on the
  stage the spatial maps gate (stride 4): fine, it follows a defect's own pixels, but alone it marks
  untouched skin of a blended face as much as the blend.
- `two_scale_cam`: the sum of the two, each divided by its maximum: it both rises on a small defect and
  covers a blend.
- `forgery_map_cam` (only for a checkpoint with a forgery-map head, `config.mask_head_from`): the mean of
  the head's prediction and `two_scale_cam`. The head is taught where blends are and stays low on a real
  face, but rises on a painted-on defect less often; two-scale Grad-CAM rises on such defects but covers a
  blend less tightly; their mean keeps the head's absolute level (it is not divided by its maximum, so a
  real face's faint map is not stretched to the peak of a fake's) and takes the defects from the CAM. Of
  the maps measured, the one that localizes best on both tests (`python -m lda_model.evaluate
  localization`; the numbers, with each map's random-weights level, are in the default's model card).

Every CAM is resampled to the LDA patch grid (area averaging from finer grids) so it can be drawn and
measured like the LDA maps, and divided by its maximum (all zeros when no feature pushes towards the
target). `post_hoc_maps` then averages each map with the mirrored clip's, mirrored back, so its maps
no longer peak at exactly 1; `grad_cam` gives one stage's map of the clip as it is.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..model.detector import LDADetector
from ..model.forgery_map import to_grid

# the keys of `post_hoc_maps` and the names the app and the cards give them
POST_HOC = {"grad_cam": "Grad-CAM", "hires_cam": "HiResCAM", "two_scale_cam": "Grad-CAM, two scales",
            "forgery_map_cam": "forgery map + Grad-CAM"}


def _unit_peak(cam: torch.Tensor) -> torch.Tensor:
    """(B, g, g) divided by each map's maximum."""
    return cam / cam.flatten(1).amax(dim=1).clamp_min(1e-12)[:, None, None]


def _stage_gradients(detector: LDADetector, clip: torch.Tensor, stages: list[int], target: float,
                     with_head: bool = False) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], torch.Tensor | None]:
    """[(A, dlogit/dA)] of the given backbone stages, (B, C_k, H_k, W_k) each, and, `with_head` on a checkpoint
    with a forgery-map head, the head's prediction (B, g, g) from the same pass (else None); with gradients
    even under `torch.inference_mode`, leaving no gradient on the model."""
    with torch.inference_mode(False), torch.enable_grad():
        x = clip.detach().clone()  # a tensor made under inference_mode cannot enter autograd
        feats, _ = detector.forward_stages(x)
        logit = detector.forward_head(feats[-1])  # (B,)
        picked = [feats[k] for k in stages]
        grads = torch.autograd.grad((target * logit).sum(), picked)
    start = detector.config.mask_head_from
    head = None
    if with_head and start >= 0:
        with torch.no_grad():  # the same gated stages `LDADetector.forward` gives the head
            head = detector.mask_head([f.detach() for f in feats[start:]])
    return [(a.detach(), g) for a, g in zip(picked, grads)], head


def grad_cam(detector: LDADetector, clip: torch.Tensor, stage: int = -1, target: float = 1.0) -> torch.Tensor:
    """(B, n+1, 3, S, S) clip -> (B, g, g) Grad-CAM of backbone stage `stage` in [0, 1]."""
    ((feats, grads),), _ = _stage_gradients(detector, clip, [stage], target)
    weights = grads.mean(dim=(2, 3), keepdim=True)  # (B, C, 1, 1)
    cam = F.relu((weights * feats).sum(dim=1, keepdim=True))  # (B, 1, H, W)
    return _unit_peak(to_grid(cam, detector.config.grid_size)[:, 0])


def post_hoc_maps(detector: LDADetector, clip: torch.Tensor, target: float = 1.0,
                  mirror: bool = True) -> dict[str, torch.Tensor]:
    """(B, n+1, 3, S, S) clip -> {"grad_cam", "hires_cam", "two_scale_cam"}, and "forgery_map_cam" for a
    checkpoint with a forgery-map head and a target towards "fake" (> 0): (B, g, g) each, in [0, 1], from one
    backward pass (Grad-CAM of the last stage, HiResCAM of the spatial-attention stage).

    With `mirror` (the default) each map is the mean of the clip's and its mirror image's (mirrored back), both
    in the same pass: the detector was trained on mirrored faces as well, so both are its answer, and what
    a map shows by chance rather than because of the face is averaged down. Without it, the clip's own."""
    if not mirror:
        return _post_hoc_once(detector, clip, target)
    b = clip.shape[0]
    pair = torch.cat([clip, clip.flip(-1)])  # (2B, n+1, 3, S, S): the clip, then its mirror image
    both = _post_hoc_once(detector, pair, target)  # (2B, g, g) each
    return {k: (m[:b] + m[b:].flip(-1)) / 2 for k, m in both.items()}  # (B, g, g)


def _post_hoc_once(detector: LDADetector, clip: torch.Tensor, target: float) -> dict[str, torch.Tensor]:
    """`post_hoc_maps` of the clip as it is."""
    grid, fine_stage = detector.config.grid_size, detector.config.spatial_stage
    ((last, g_last), (fine, g_fine)), head = _stage_gradients(detector, clip, [-1, fine_stage], target, target > 0)
    coarse = F.relu((g_last.mean(dim=(2, 3), keepdim=True) * last).sum(dim=1, keepdim=True))  # (B, 1, h, w)
    hires = F.relu((g_fine * fine).sum(dim=1, keepdim=True))  # (B, 1, H, W)
    maps = {"grad_cam": _unit_peak(to_grid(coarse, grid)[:, 0]), "hires_cam": _unit_peak(to_grid(hires, grid)[:, 0])}
    maps["two_scale_cam"] = _unit_peak(maps["grad_cam"] + maps["hires_cam"])
    if head is not None:  # the head predicts where a fake was blended: asked only towards "fake"
        maps["forgery_map_cam"] = (head + maps["two_scale_cam"]) / 2  # (B, g, g); no _unit_peak: the docstring says why
    return maps
