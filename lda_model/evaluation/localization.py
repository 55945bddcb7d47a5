"""The defect experiment (the paper's Fig. 8): on one clip (shared with the app's defect lab) and over
a folder of clips (`python -m lda_model.evaluate localization`).

A defect (`blur_mouth`, `red_pupil`, `distort_mouth`) is put on frame t..t+n at the regions the
landmarks of frame t locate; a hit is when the peak of the summed map change (tampered - original) is
positive and falls on a patch overlapping the defect region; `rise_rate` is how often the mean change
over the region's patches is positive (defects.py says why the literal hit rate is near 1 for almost
any weights); `chance` is the mean fraction of patches overlapping the region.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..data.prepare import clip_splits
from ..inference.faces import to_crop_coords
from ..inference.pipeline import extract_faces
from ..inference.transforms import crops_to_tensor, fit_clip
from ..inference.video import VIDEO_EXTS, VideoError
from .defects import apply_defect, attention_difference, grid_region, localization_hit
from ..model.detector import LDADetector

LOCALIZATION_DEFECTS = ("blur_mouth", "red_pupil", "distort_mouth")


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


def evaluate_localization(detector: LDADetector, weights: str, videos: list[str | Path], manifest: str | None = None,
                          splits: set[str] | None = None, points: int = 16, strength: float = 1.0) -> dict:
    """The Fig. 8 experiment over the main face of every clip (files or folders): hit and rise rates per defect.
    ValueError for a model without maps."""
    cfg = detector.config
    paths = []
    for v in videos:
        p = Path(v)
        paths += sorted(x for x in p.iterdir() if x.suffix.lower() in VIDEO_EXTS) \
            if p.is_dir() else [p]
    if splits:
        where = clip_splits([p.name for p in paths], manifest)
        paths = [p for p in paths if where[p.name] in splits]
    hits = {d: [] for d in LOCALIZATION_DEFECTS}
    rises = {d: [] for d in LOCALIZATION_DEFECTS}
    chance = {d: [] for d in LOCALIZATION_DEFECTS}
    size = cfg.backbone_size
    for path in paths:
        try:
            faces = extract_faces(path, cfg.clip_length, size, num_points=points)
        except VideoError:
            continue
        track = faces.main_track
        if track is None:
            continue
        for point in faces.tracks[track]:
            lms = to_crop_coords(point.landmarks, point.window, size)
            for defect in LOCALIZATION_DEFECTS:
                r = defect_experiment(detector, point.crops, lms, defect, strength)
                hits[defect].append(r.hit)
                rises[defect].append(r.rises)
                chance[defect].append(r.chance)
    n = sum(len(v) for v in hits.values())
    return {
        "weights": weights,
        "hit_rate": round(float(np.mean([h for v in hits.values() for h in v])), 4) if n else None,
        "n": n,
        "chance": round(float(np.mean([c for v in chance.values() for c in v])), 4) if n else None,
        "rise_rate": round(float(np.mean([r for v in rises.values() for r in v])), 4) if n else None,
        "per_defect": {d: {"hit_rate": round(float(np.mean(v)), 4) if v else None, "n": len(v),
                           "rise_rate": round(float(np.mean(rises[d])), 4) if v else None,
                           "chance": round(float(np.mean(chance[d])), 4) if v else None} for d, v in hits.items()},
        "clips": len(paths),
    }
