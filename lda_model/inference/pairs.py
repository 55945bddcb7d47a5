"""Compare an original clip with a manipulated version of it: where do the detector's maps differ?

The paper shows what attention does by comparison (Fig. 8: a face and its tampered version; Figs.
9-10: real and fake faces side by side), and benchmark datasets come in such pairs (an FF++
original and its Deepfakes / Face2Face / FaceSwap / NeuralTextures versions). `compare_analyses`
takes two `VideoAnalysis` of the same detector, aligns their main faces' analysis points by frame
index (nearest point), and gives per aligned point the difference of one map per point (`map_of`:
by default `PointResult.shown_map`, the mean gating map: an LDA map, not the post-hoc Grad-CAM the
Analyze tab may show first)
and the named face region holding most of the absolute difference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .pipeline import PointResult, VideoAnalysis
from .landmarks import attention_by_region


@dataclass
class PointDifference:
    a: PointResult
    b: PointResult
    difference: np.ndarray  # (g, g): b's map minus a's
    regions: dict[str, float]  # share (%) of |difference| per named region of a's face, best first

    @property
    def region(self) -> str | None:
        """The region holding most of the difference (None when the maps are equal)."""
        return next(iter(self.regions)) if float(np.abs(self.difference).sum()) > 0 else None


def align(a: VideoAnalysis, b: VideoAnalysis) -> list[tuple[PointResult, PointResult]]:
    """Each main-face point of `a` with the main-face point of `b` nearest in frame index."""
    if a.main_track is None or b.main_track is None:
        return []
    pb = b.tracks[b.main_track]
    return [(p, min(pb, key=lambda q: abs(q.index - p.index))) for p in a.tracks[a.main_track]]


def compare_analyses(a: VideoAnalysis, b: VideoAnalysis,
                     map_of: Callable[[PointResult], np.ndarray | None] = PointResult.shown_map) -> list[PointDifference]:
    """Aligned points of the two clips and the differences of `map_of` (empty without a face or maps)."""
    out = []
    for pa, pb in align(a, b):
        ma, mb = map_of(pa), map_of(pb)
        if ma is None or mb is None or ma.shape != mb.shape:
            continue
        diff = (mb - ma).astype(np.float32)
        regions = attention_by_region(np.abs(diff), pa.crop_landmarks, pa.crop.shape[0])
        out.append(PointDifference(pa, pb, diff, regions))
    return out


def summary(a: VideoAnalysis, b: VideoAnalysis, diffs: list[PointDifference]) -> dict:
    """The `/compare` answer's summary: scores, the mean |difference| and where it is largest."""
    total: dict[str, float] = {}
    for d in diffs:
        for name, share in d.regions.items():
            total[name] = total.get(name, 0.0) + share / max(len(diffs), 1)
    ranked = dict(sorted(total.items(), key=lambda kv: -kv[1]))
    mean_abs = float(np.mean([np.abs(d.difference).mean() for d in diffs])) if diffs else None
    return {"fake_probability": [a.fake_probability, b.fake_probability], "labels": [a.label, b.label],
            "points": len(diffs), "mean_abs_difference": None if mean_abs is None else round(mean_abs, 6),
            "largest_region": next(iter(ranked)) if ranked and mean_abs else None,
            "regions": {k: round(v, 2) for k, v in ranked.items()}}
