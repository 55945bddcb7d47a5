"""What the UI does, without the UI: limits, model loading, analysis, ablations, defect lab
(forgery-like defects, and whole-face conditions that are no forgery).

Everything here is plain Python on top of `lda_model`, so it is testable without a browser.
`UserError` carries messages meant for the person using the app (the UI turns them into
`gr.Error`).
"""

from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from lda_model.inference.pipeline import TrackCache, VideoAnalysis, analyze_video
from lda_model.inference.transforms import crops_to_tensor, fit_clip
from lda_model.evaluation.conditions import degrade_frame
from lda_model.evaluation.localization import DefectResult
from lda_model.evaluation.localization import defect_experiment as run_defect_experiment
from lda_model.inference.faces import FaceModelError
from lda_model.inference.gradcam import POST_HOC, post_hoc_maps
from lda_model.model.config import MAX_CLIP_LENGTH
from lda_model.model.detector import LDADetector
from lda_model.paths import WEIGHTS_DIR
from lda_model.release.cards import read_results
from lda_model.inference.quality import FaceQuality, face_quality
from lda_model.inference.video import VideoError, probe_video
from lda_model.inference.weights import (LOCAL, TABLE_V, TABLE_VI, TABLE_VII, WeightsError, WeightsInfo, bundled_weights,
                               load_detector, public_policy)

# --- limits (environment variables override; defaults fit a 2-vCPU, 16 GB Space) -----------
MAX_UPLOAD_MB = float(os.environ.get("LDA_MAX_UPLOAD_MB", "200"))
MAX_DURATION_S = float(os.environ.get("LDA_MAX_DURATION_S", "600"))
MAX_FRAMES = int(os.environ.get("LDA_MAX_FRAMES", "36000"))
TIME_LIMIT_S = float(os.environ.get("LDA_TIME_LIMIT_S", "180"))
DEFAULT_POINTS = int(os.environ.get("LDA_POINTS", "32"))
# the points slider's end: more points cost time on a shared Space without a steadier score (or LDA_POINTS, if larger)
MAX_POINTS = max(64, DEFAULT_POINTS)
CACHE_CLIP_LENGTH = MAX_CLIP_LENGTH  # crops for t..t+5 are cached, so every n in 2..5 reuses one face track

COMPONENT_VARIANTS = TABLE_V  # the paper's Table V, as bundled checkpoints (lda_model.inference.weights)
PAPER_VARIANTS = {"m": TABLE_VI, "n": TABLE_VII}

TRACKS = TrackCache(max_items=8)
_LOCK = threading.Lock()  # one analysis at a time touches the shared cache


class UserError(Exception):
    """A problem the user can fix (bad file, unknown weights...)."""


def check_upload(path: str | os.PathLike | None) -> None:
    if not path:
        raise UserError("Please upload a video (or record one with the webcam) first.")
    p = Path(path)
    if not p.is_file():
        raise UserError("The uploaded file is no longer available; please upload it again.")
    size_mb = p.stat().st_size / 1e6
    if size_mb > MAX_UPLOAD_MB:
        raise UserError(f"The file is {size_mb:.0f} MB; the limit is {MAX_UPLOAD_MB:.0f} MB.")
    try:
        info = probe_video(p)
    except VideoError as err:
        raise UserError(f"Cannot read this file as a video: {err}") from err
    if info.duration_s > MAX_DURATION_S:
        raise UserError(f"The clip is {info.duration_s:.0f} s long; the limit is {MAX_DURATION_S:.0f} s.")
    if info.frame_count > MAX_FRAMES:
        raise UserError(f"The clip has {info.frame_count} frames; the limit is {MAX_FRAMES}.")


# on a public Space (SPACE_ID set, or LDA_PUBLIC=1): bundled checkpoints and allow-listed Hub repos only
POLICY = public_policy() or LOCAL


def get_detector(source: str | None) -> tuple[LDADetector, WeightsInfo]:
    try:
        return load_detector(source or None, POLICY)
    except WeightsError as err:
        raise UserError(str(err)) from err


def available_weights() -> list[str]:
    names = bundled_weights()
    return (["default"] if "default" in names else []) + [n for n in names if n != "default"]


def analyze(path: str, source: str | None, num_points: int = DEFAULT_POINTS, progress=None) -> VideoAnalysis:
    check_upload(path)
    if not 1 <= num_points <= MAX_POINTS:
        raise UserError(f"Analysis points must be between 1 and {MAX_POINTS} (got {num_points}).")
    detector, info = get_detector(source)
    try:
        with _LOCK:
            return analyze_video(path, detector, weights=info.source, num_points=int(num_points),
                                 clip_length=CACHE_CLIP_LENGTH, cache=TRACKS, time_limit_s=TIME_LIMIT_S,
                                 progress=progress or (lambda f, d: None))
    except (VideoError, FaceModelError) as err:
        raise UserError(str(err)) from err


@functools.lru_cache(maxsize=32)
def localization_scores(source: str) -> dict[str, float]:
    """{"maps" | "activations" | "forgery_map" | a `gradcam.POST_HOC` key: score} from the card of a bundled checkpoint:
    the weaker of a map's two localization measurements on held-out people (`evaluate localization`:
    blend patch AUC on synthesized forgeries, Fig. 8 rise rate on painted-on defects), each where
    measured; empty for other sources or an unmeasured checkpoint."""
    if source not in bundled_weights():
        return {}
    results = read_results(WEIGHTS_DIR / source)
    scores: dict[str, float] = {}
    for name in ("maps", "activations", "forgery_map", *POST_HOC):
        rise = "rise_rate" if name == "maps" else f"{name}_rise_rate"
        found = [v for v in (results.get(("blend-attention-test", f"patch_auc_{name}")),
                             results.get(("localization-heldout", rise))) if v is not None]
        if found:
            scores[name] = min(found)
    return scores


def point_post_hoc(a: VideoAnalysis, crops: np.ndarray) -> dict[str, np.ndarray]:
    """{name: (g, g)} the post-hoc maps towards "fake" (`gradcam.post_hoc_maps`) of the checkpoint that
    analysed `a`, on one point's frames (n+1, S, S, 3)."""
    detector, _ = get_detector(a.weights)
    cfg = detector.config
    clip = crops_to_tensor(fit_clip(crops, cfg.clip_length)[None], cfg.backbone_size, cfg.mean, cfg.std)
    return {k: m[0].numpy() for k, m in post_hoc_maps(detector, clip).items()}


def variant_scores(path: str, variants: dict[str, str], num_points: int) -> dict[str, VideoAnalysis | None]:
    """Run several bundled checkpoints on the same (cached) face track; missing ones give None."""
    have = set(bundled_weights())
    out: dict[str, VideoAnalysis | None] = {}
    for label, name in variants.items():
        out[label] = analyze(path, name, num_points) if name in have else None
    return out


# --- the defect lab ------------------------------------------------------------------------
def defect_experiment(detector: LDADetector, crops: np.ndarray, landmarks: np.ndarray, kind: str,
                      strength: float, box: tuple[float, float, float, float] | None = None) -> DefectResult:
    try:
        return run_defect_experiment(detector, crops, landmarks, kind, strength, box, with_grad_cam=True)
    except ValueError as err:
        raise UserError(str(err)) from err


# --- whole-face conditions (not forgeries) ----------------------------------------------------
CONDITIONS = ("blur", "resample", "dark")  # out of focus, upscaled from a low resolution, a dark room


@dataclass
class ConditionResult:
    original: np.ndarray  # (S, S, 3) frame t crop
    degraded: np.ndarray  # (S, S, 3) the same crop under the condition
    score_before: float
    score_after: float
    quality_before: FaceQuality
    quality_after: FaceQuality


def condition_amount(kind: str, strength: float, size: int) -> float:
    """Strength in (0, 1] -> `degrade_frame`'s amount at crop side `size`: blur sigma up to 3 px at
    128 px, resampling down to 20 % of the side, or 20 % of the light."""
    if kind not in CONDITIONS:
        raise UserError(f"unknown condition {kind!r}; choose from {', '.join(CONDITIONS)}")
    if not 0.0 < strength <= 1.0:
        raise UserError(f"strength must be in (0, 1], got {strength}")
    if kind == "blur":
        return 3.0 * strength * size / 128
    if kind == "resample":
        return max(8, round(size * (1.0 - 0.8 * strength)))
    return 1.0 - 0.8 * strength


@torch.inference_mode()
def condition_experiment(detector: LDADetector, crops: np.ndarray, kind: str, strength: float) -> ConditionResult:
    """Put one condition on every frame of a clip of crops (n+1, S, S, 3) and score both: what a
    camera or a room, not a forger, does to the detector's score."""
    cfg = detector.config
    crops = fit_clip(crops, cfg.clip_length)  # a still: its last frame repeated
    amount = condition_amount(kind, strength, crops.shape[1])
    degraded = np.stack([degrade_frame(c, kind, amount) for c in crops])  # (n+1, S, S, 3)
    x = crops_to_tensor(np.stack([crops, degraded]), cfg.backbone_size, cfg.mean, cfg.std)  # (2, n+1, 3, S, S)
    probs = detector(x).probabilities.float().numpy()
    return ConditionResult(crops[0], degraded[0], float(probs[0]), float(probs[1]),
                           face_quality(crops[:1]), face_quality(degraded[:1]))
