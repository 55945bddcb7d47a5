"""The defect experiment (the paper's Fig. 8): on one clip (shared with the app's defect lab) and over
a folder of clips (`python -m lda_model.evaluate localization`).

A defect (`blur_mouth`, `red_pupil`, `distort_mouth`) is put on frame t..t+n at the regions the
landmarks of frame t locate; a hit is when the peak of the summed map change (tampered - original) is
positive and falls on a patch overlapping the defect region; `rise_rate` is how often the mean change
over the region's patches is positive (defects.py says why the literal hit rate is near 1 for almost
any weights); `chance` is the mean fraction of patches overlapping the region.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..data.prepare import clip_splits
from ..inference.faces import to_crop_coords
from ..inference.gradcam import post_hoc_maps
from ..inference.pipeline import extract_faces
from ..inference.transforms import crops_to_tensor, fit_clip
from ..inference.video import VIDEO_EXTS, VideoError
from .defects import apply_defect, attention_difference, grid_region, localization_hit, rises_on
from .synthetic import blend_attention
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
    # (g, g) change of the modules' mean activation ("activations"), of the forgery-map head's prediction
    # ("forgery_map", with a head) and, with_grad_cam, of each post-hoc map
    other_diffs: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def other_rises(self) -> dict[str, bool]:
        """Does each other map rise on the defect, the question `rises` asks of the gates."""
        return {k: rises_on(d, self.cells) for k, d in self.other_diffs.items()}


@torch.inference_mode()
def defect_experiment(detector: LDADetector, crops: np.ndarray, landmarks: np.ndarray, kind: str,
                      strength: float, box: tuple[float, float, float, float] | None = None,
                      with_grad_cam: bool = False) -> DefectResult:
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
    others = {"activations": out.frame_activation(), **(post_hoc_maps(detector, x) if with_grad_cam else {})}
    if out.forgery_map is not None:
        others["forgery_map"] = out.forgery_map
    other_diffs = {k: c[1].numpy() - c[0].numpy() for k, c in others.items()}  # c: (2, g, g) original, tampered
    return DefectResult(crops[0], tampered[0], masks[0], grid_region(masks[0], diff.shape[0]), before[0], after[0],
                        diff, peak, hit, rises, chance, float(probs[0]), float(probs[1]), other_diffs)


def defect_points(videos: list[str | Path], clip_length: int, size: int, manifest: str | None = None,
                  splits: set[str] | None = None, points: int = 16) -> tuple[list[tuple[np.ndarray, np.ndarray]], int]:
    """The main face's analysis points of every clip (files or folders; kept by identity split with a
    manifest): ([(crops (n+1, S, S, 3), landmarks in crop pixels (478, 2))], clips read)."""
    paths = []
    for v in videos:
        p = Path(v)
        paths += sorted(x for x in p.iterdir() if x.suffix.lower() in VIDEO_EXTS) if p.is_dir() else [p]
    if splits:
        where = clip_splits([p.name for p in paths], manifest)
        paths = [p for p in paths if where[p.name] in splits]
    out = []
    for path in paths:
        try:
            faces = extract_faces(path, clip_length, size, num_points=points)
        except VideoError:
            continue
        if faces.main_track is not None:
            out += [(pt.crops, to_crop_coords(pt.landmarks, pt.window, size)) for pt in faces.tracks[faces.main_track]]
    return out, len(paths)


def _rate(values: list) -> float | None:
    return round(float(np.mean(values)), 4) if values else None


def fig8_rates(detector: LDADetector, points: list[tuple[np.ndarray, np.ndarray]], strength: float = 1.0,
               with_grad_cam: bool = False) -> dict:
    """Every defect on every point: hit, rise and chance rates, overall and per defect, and the rise rate of
    the modules' activation (`activations_rise_rate`) and, with `with_grad_cam`, of each post-hoc map
    (`grad_cam_rise_rate`, ...). ValueError for a model without maps."""
    runs = {d: [defect_experiment(detector, crops, lms, d, strength, with_grad_cam=with_grad_cam)
                for crops, lms in points] for d in LOCALIZATION_DEFECTS}

    def rates(rs: list[DefectResult]) -> dict:
        out = {"hit_rate": _rate([r.hit for r in rs]), "rise_rate": _rate([r.rises for r in rs]),
               "chance": _rate([r.chance for r in rs]), "n": len(rs)}
        out.update({f"{k}_rise_rate": _rate([r.other_rises[k] for r in rs]) for k in rs[0].other_rises} if rs else {})
        return out

    return {**rates([r for rs in runs.values() for r in rs]), "per_defect": {d: rates(rs) for d, rs in runs.items()}}


def localization_report(detector: LDADetector, weights: str, videos: list[str | Path], data: str | Path | None = None,
                        data_split: str = "test", manifest: str | None = None, splits: set[str] | None = None,
                        points: int = 16, strength: float = 1.0, baseline: bool = True) -> dict:
    """Do the maps point at the forgery? The Fig. 8 rates (with the post-hoc maps' rise rates beside them) on the
    clips' main faces and, with a `prepare` cache, the blend patch AUC of each map on its synthesized
    forgeries; `random_weights` repeats both for the same architecture untrained (seed 0), the level
    that says how much of a number the training earned."""
    cfg = detector.config
    found, clips = defect_points(videos, cfg.clip_length, cfg.backbone_size, manifest, splits, points)

    def measure(model: LDADetector) -> dict:
        out = fig8_rates(model, found, strength, with_grad_cam=True)
        if data is not None:
            out["blend_attention"] = blend_attention(model, data, data_split)
        return out

    report = {"weights": weights, **measure(detector), "clips": clips}
    if baseline:
        torch.manual_seed(0)
        report["random_weights"] = measure(LDADetector(cfg).eval())
    return report
