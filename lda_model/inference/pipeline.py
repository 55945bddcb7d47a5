"""From a video file to per-face, per-analysis-point fake probabilities and attention maps.

Two steps, so the expensive one can be reused:

1. `extract_faces(path, ...) -> ClipFaces`: one decoding pass and one landmarker per clip. At
   each *analysis point* t (evenly spaced, `num_points` per clip) faces are detected and
   tracked; each face's crop window is fixed at frame t and frames t..t+L-1 are cut with that
   same window. `TrackCache` keeps these per clip content hash and settings (the crop size is the
   model's input size), so another checkpoint of the same input size (the app's ablations) re-runs
   only the model.
2. `run_detector(detector, faces) -> VideoAnalysis`: batched inference on every track.

Video-level score: the **mean fake probability over the analysis points of the main track**
(the track seen at most analysis points; ties go to the larger face). Label: FAKE when that
score is >= `threshold` (default 0.5, the decision boundary of the logistic output;
`predict --threshold` overrides it).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .concentration import concentration
from .faces import DEFAULT_MARGIN, FaceDetector, FaceTracker, crop_square, crop_window, fit_window, to_crop_coords
from ..model.config import MAX_CLIP_LENGTH
from ..model.detector import LDADetector
from .quality import FaceQuality, face_quality
from .transforms import crops_to_tensor
from .video import (DEFAULT_MAX_SIDE, VideoError, VideoInfo, analysis_points, count_frames, frames_needed, iter_frames,
                    prefetch, probe_video)

DEFAULT_NUM_POINTS = 32
# Analysis points are planned as if every point needed MAX_CLIP_LENGTH frames, whatever the model's n:
# then every checkpoint, the CLI and the app look at the same moments of a clip. Clips shorter than
# this plan with what they have.
PLAN_LENGTH = MAX_CLIP_LENGTH
DEFAULT_THRESHOLD = 0.5
MODEL_BATCH = 16  # analysis points per forward pass in run_detector
# Scores this close to the threshold are reported as uncertain: the label (REAL/FAKE) stays, and
# `uncertain` says it should not be read as a verdict. A fixed 0.15 either side of the threshold:
# the shipped default's scores are mostly far from it, and far from it is no guarantee either (on the
# 43 benchmark clips, 2 fall inside, both wrong, and 56 % of the rest are right; docs/results.md).
UNCERTAIN_MARGIN = 0.15
Progress = Callable[[float, str], None]


def _no_progress(fraction: float, desc: str) -> None:  # noqa: ARG001
    return None


@dataclass
class FacePoint:
    """One face at one analysis point: where it is and the crops the model needs."""

    index: int  # frame index of t
    time_s: float
    box: np.ndarray  # (4,) x0, y0, x1, y1 in frame pixels (of the possibly downscaled frame)
    landmarks: np.ndarray  # (478, 2) frame pixels at frame t
    window: np.ndarray  # (3,) cx, cy, side of the square crop window, shared by t..t+L-1
    crops: np.ndarray  # (L, S, S, 3) uint8 RGB, frames t..t+L-1 cut with `window`


@dataclass
class ClipFaces:
    info: VideoInfo
    tracks: dict[int, list[FacePoint]]  # track id -> points in time order
    clip_length: int
    crop_size: int
    num_points: int  # analysis points planned
    frame_scale: float  # decoded frame size / original size (1.0 unless downscaled)
    seconds: float = 0.0  # time spent decoding + tracking

    @property
    def main_track(self) -> int | None:
        if not self.tracks:
            return None

        def key(tid: int) -> tuple[int, float]:
            pts = self.tracks[tid]
            return len(pts), float(np.mean([p.window[2] for p in pts]))

        return max(self.tracks, key=key)


def file_hash(path: str | os.PathLike) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha1").hexdigest()


def extract_faces(
    path: str | os.PathLike,
    clip_length: int,
    crop_size: int,
    num_points: int = DEFAULT_NUM_POINTS,
    margin: float = DEFAULT_MARGIN,
    max_side: int = DEFAULT_MAX_SIDE,
    max_faces: int = 4,
    progress: Progress = _no_progress,
    deadline: float | None = None,
) -> ClipFaces:
    """Decode once, track faces at the analysis points, cut same-window crops for t..t+L-1."""
    start = time.perf_counter()
    info = probe_video(path)
    total = info.frame_count
    for attempt in range(2):
        plan = max(clip_length, min(PLAN_LENGTH, total))
        points = analysis_points(total, plan, num_points)
        tracks = _track_and_crop(path, points, clip_length, crop_size, margin, max_side, max_faces, progress, deadline)
        if tracks is not None:
            break
        # the container over-stated the frame count (truncated or odd file): count and retry
        exact = count_frames(path)
        if exact >= total or attempt:
            raise VideoError(f"could not decode the frames of {Path(path).name}")
        total = exact
    scale = min(1.0, max_side / max(info.width, info.height))
    return ClipFaces(info, tracks, clip_length, crop_size, len(points), scale, time.perf_counter() - start)


def _track_and_crop(path, points, clip_length, crop_size, margin, max_side, max_faces, progress, deadline):
    anchors = set(points)
    wanted = frames_needed(points, clip_length)
    tracker = FaceTracker()
    tracks: dict[int, list[FacePoint]] = {}
    open_points: list[tuple[FacePoint, list[np.ndarray], int]] = []  # point, crops so far, track
    anchors_seen = 0
    with FaceDetector(max_faces=max_faces) as detector:
        for index, time_s, rgb in prefetch(iter_frames(path, wanted, max_side=max_side)):  # decode ahead
            if deadline is not None and time.perf_counter() > deadline:
                raise VideoError("the clip took too long to analyse (time limit reached)")
            still_open = []
            for point, crops, tid in open_points:
                if index == point.index + len(crops):
                    crops.append(crop_square(rgb, point.window, crop_size))
                    if len(crops) == clip_length:
                        point.crops = np.stack(crops)  # (L, S, S, 3)
                        tracks.setdefault(tid, []).append(point)
                        continue
                    still_open.append((point, crops, tid))
                elif index < point.index + len(crops):
                    still_open.append((point, crops, tid))
                # else: a frame was missing (decode error): the point is dropped
            open_points = still_open
            if index in anchors:
                anchors_seen += 1
                faces = detector.detect(rgb, time_s)
                for face, tid in zip(faces, tracker.update(faces)):
                    window = fit_window(crop_window(face.landmarks, margin), rgb.shape[1], rgb.shape[0])
                    point = FacePoint(index, time_s, face.box, face.landmarks, window, np.empty(0))
                    crops = [crop_square(rgb, window, crop_size)]
                    if clip_length == 1:
                        point.crops = np.stack(crops)
                        tracks.setdefault(tid, []).append(point)
                    else:
                        open_points.append((point, crops, tid))
                progress(anchors_seen / len(points), "tracking faces")
    if anchors_seen == 0:
        return None
    # renumber tracks 0, 1, ... by first appearance
    order = sorted(tracks, key=lambda t: tracks[t][0].index)
    return {new: tracks[old] for new, old in enumerate(order)}


class TrackCache:
    """LRU of `ClipFaces` keyed by file content + extraction settings; a hit is answered for the path asked
    (the same bytes uploaded under another name, or again after the first upload was deleted)."""

    def __init__(self, max_items: int = 8) -> None:
        self.max_items = max_items
        self._items: OrderedDict[tuple, ClipFaces] = OrderedDict()

    def get(
        self, path: str | os.PathLike, progress: Progress = _no_progress, deadline: float | None = None, **settings: Any
    ) -> ClipFaces:
        key = (file_hash(path), tuple(sorted(settings.items())))
        cached = self._items.get(key)
        if cached is not None:
            self._items.move_to_end(key)
            return replace(cached, info=replace(cached.info, path=str(path)))
        faces = extract_faces(path, progress=progress, deadline=deadline, **settings)
        self._items[key] = faces
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)
        return faces

    def __len__(self) -> int:
        return len(self._items)


# ----------------------------------------------------------------------------------------
@dataclass
class PointResult:
    index: int
    time_s: float
    track: int
    box: np.ndarray  # (4,) in original-frame pixels
    landmarks: np.ndarray  # (478, 2) in original-frame pixels
    fake_probability: float
    spatial_maps: np.ndarray | None  # (m, g, g)
    temporal_maps: np.ndarray | None  # (m, n+1, g, g)
    temporal_guide: np.ndarray | None  # (m, g, g)
    module_activation: np.ndarray | None  # (g, g): the LDA modules' mean activation on frame t (before the 1x1 mix)
    crop: np.ndarray  # (S, S, 3) uint8: frame t as the model saw it
    crops: np.ndarray  # (n+1, S, S, 3) uint8: frames t..t+n
    crop_landmarks: np.ndarray  # (478, 2) frame t's landmarks in crop pixels
    # (g, g): the forgery-map head's predicted blended fraction per patch of frame t (`mask_head_from` >= 0)
    forgery_map: np.ndarray | None = None
    # (weights source, {name: (g, g) post-hoc map}) of this point once someone asked for it: the app redraws a
    # point on every slider move
    post_hoc: tuple[str, dict[str, np.ndarray]] | None = field(default=None, repr=False, compare=False)

    def shown_map(self) -> np.ndarray | None:
        """(g, g): the LDA map that compares two clips and measures a point (its concentration): the mean
        gating map (spatial maps and temporal guide), which localizes blended patches better than the
        modules' raw activation on held-out forgeries (`evaluate localization --data`, in the default's
        card); the activation for a model without gates; None without attention. The app's Analyze tab
        shows and exports first whichever map the card measures best (for `default` a post-hoc one)."""
        gates = [m.mean(0) for m in (self.spatial_maps, self.temporal_guide) if m is not None]
        return np.mean(gates, 0) if gates else self.module_activation

    def concentration(self) -> float | None:
        """`concentration.concentration` of the shown map (None without attention)."""
        m = self.shown_map()
        return None if m is None else concentration(m)


@dataclass
class VideoAnalysis:
    video: str
    info: VideoInfo
    tracks: dict[int, list[PointResult]]
    main_track: int | None
    threshold: float
    weights: str
    timings: dict[str, float] = field(default_factory=dict)

    def track_probability(self, track: int) -> float:
        return float(np.mean([p.fake_probability for p in self.tracks[track]]))

    @property
    def fake_probability(self) -> float | None:
        return None if self.main_track is None else self.track_probability(self.main_track)

    @property
    def label(self) -> str | None:
        p = self.fake_probability
        return None if p is None else ("FAKE" if p >= self.threshold else "REAL")

    @property
    def uncertain(self) -> bool | None:
        """True when the score lies within `UNCERTAIN_MARGIN` of the threshold (None without a face)."""
        p = self.fake_probability
        lo, hi = self.uncertain_band
        return None if p is None else bool(lo <= p < hi)

    @property
    def uncertain_band(self) -> tuple[float, float]:
        return (max(0.0, self.threshold - UNCERTAIN_MARGIN), min(1.0, self.threshold + UNCERTAIN_MARGIN))

    def spread(self) -> tuple[float, float] | None:
        """10th and 90th percentile of the main face's per-point fake probabilities (None without a face)."""
        if self.main_track is None:
            return None
        probs = [p.fake_probability for p in self.tracks[self.main_track]]
        lo, hi = np.percentile(probs, [10, 90])
        return float(lo), float(hi)

    def concentration(self) -> float | None:
        """The main face's mean concentration of its shown maps (None without a face or without maps)."""
        if self.main_track is None:
            return None
        values = [c for c in (p.concentration() for p in self.tracks[self.main_track]) if c is not None]
        return float(np.mean(values)) if values else None

    def quality(self) -> FaceQuality | None:
        """Brightness and detail of the main face (`quality`), None without a face."""
        if self.main_track is None:
            return None
        return face_quality([p.crop for p in self.tracks[self.main_track]])

    def to_json(self) -> dict[str, Any]:
        """The record `python -m lda_model.predict --json` prints (and the app's API returns)."""
        frames = [
            {
                "index": p.index,
                "time_s": round(p.time_s, 4),
                "track": p.track,
                "fake_probability": round(p.fake_probability, 6),
                "box": [round(float(v), 1) for v in p.box],
                **({} if (c := p.concentration()) is None else {"concentration": round(c, 4)}),
            }
            for tid in sorted(self.tracks)
            for p in self.tracks[tid]
        ]
        frames.sort(key=lambda f: (f["index"], f["track"]))
        out: dict[str, Any] = {
            "video": self.video,
            "fake_probability": None if self.fake_probability is None else round(self.fake_probability, 6),
            "label": self.label,
            "threshold": self.threshold,
            "uncertain": self.uncertain,
            "uncertain_band": [round(v, 4) for v in self.uncertain_band],
            "spread": None if self.spread() is None else [round(v, 4) for v in self.spread()],
            # the main face's mean map concentration (concentration.py; the paper's Fig. 9/10 claim)
            "concentration": None if (c := self.concentration()) is None else round(c, 4),
            "faces": len(self.tracks),
            "main_track": self.main_track,
            "tracks": [
                {"track": t, "points": len(self.tracks[t]), "fake_probability": round(self.track_probability(t), 6)}
                for t in sorted(self.tracks)
            ],
            "frames": frames,
            "weights": self.weights,
            "duration_s": round(self.info.duration_s, 3),
        }
        q = self.quality()
        if q is not None:
            out["quality"] = {"brightness": round(q.brightness, 1), "detail": round(q.detail, 1), "notes": q.notes(self.label)}
        if not self.tracks:
            out["message"] = "no face found in the clip"
        return out


@torch.inference_mode()
def run_detector(
    detector: LDADetector,
    faces: ClipFaces,
    weights: str = "",
    threshold: float = DEFAULT_THRESHOLD,
    batch_size: int = MODEL_BATCH,
    progress: Progress = _no_progress,
) -> VideoAnalysis:
    cfg = detector.config
    need = cfg.clip_length
    if faces.clip_length < need:
        raise ValueError(f"faces were extracted with {faces.clip_length} frames per point; the model needs {need}")
    start = time.perf_counter()
    detector.eval()
    inv = 1.0 / faces.frame_scale
    results: dict[int, list[PointResult]] = {}
    jobs = [(tid, p) for tid, pts in faces.tracks.items() for p in pts]
    for b in range(0, len(jobs), batch_size):
        chunk = jobs[b : b + batch_size]
        crops = np.stack([p.crops[:need] for _, p in chunk])  # (B, n+1, S, S, 3)
        clip = crops_to_tensor(crops, cfg.backbone_size, cfg.mean, cfg.std)  # (B, n+1, 3, S', S')
        out = detector(clip)
        probs = out.probabilities.float().numpy()
        act = out.frame_activation()  # (B, g, g) or None
        for i, (tid, p) in enumerate(chunk):
            results.setdefault(tid, []).append(
                PointResult(
                    index=p.index,
                    time_s=p.time_s,
                    track=tid,
                    box=p.box * inv,
                    landmarks=p.landmarks * inv,
                    fake_probability=float(probs[i]),
                    spatial_maps=None if out.spatial_maps is None else out.spatial_maps[i].float().numpy(),
                    temporal_maps=None if out.temporal_maps is None else out.temporal_maps[i].float().numpy(),
                    temporal_guide=None if out.temporal_guide is None else out.temporal_guide[i].float().numpy(),
                    module_activation=None if act is None else act[i].numpy(),
                    crop=p.crops[0],
                    crops=p.crops[:need],
                    crop_landmarks=to_crop_coords(p.landmarks, p.window, faces.crop_size),
                    forgery_map=None if out.forgery_map is None else out.forgery_map[i].float().numpy(),
                )
            )
        progress(min(1.0, (b + len(chunk)) / len(jobs)), "running the model")
    return VideoAnalysis(
        video=faces.info.path,
        info=faces.info,
        tracks=results,
        main_track=faces.main_track,
        threshold=threshold,
        weights=weights,
        timings={"faces_s": faces.seconds, "model_s": time.perf_counter() - start},
    )


def analyze_video(
    path: str | os.PathLike,
    detector: LDADetector,
    weights: str = "",
    num_points: int = DEFAULT_NUM_POINTS,
    threshold: float = DEFAULT_THRESHOLD,
    clip_length: int | None = None,
    cache: TrackCache | None = None,
    progress: Progress = _no_progress,
    time_limit_s: float | None = None,
    **extract: Any,
) -> VideoAnalysis:
    """Analyse one clip end to end. `clip_length` (default: what the model needs) may be larger,
    so that cached crops serve models with larger n as well."""
    settings = dict(
        clip_length=max(clip_length or 0, detector.config.clip_length),
        crop_size=detector.config.backbone_size,
        num_points=num_points,
        **extract,
    )
    deadline = None if time_limit_s is None else time.perf_counter() + time_limit_s
    if cache is not None:
        faces = cache.get(path, progress=progress, deadline=deadline, **settings)
    else:
        faces = extract_faces(path, progress=progress, deadline=deadline, **settings)
    return run_detector(detector, faces, weights=weights, threshold=threshold, progress=progress)


def analyze_videos(paths: list[str | os.PathLike], detector: LDADetector, weights: str = "",
                   num_points: int = DEFAULT_NUM_POINTS, threshold: float = DEFAULT_THRESHOLD,
                   time_limit_s: float | None = None) -> Iterator[tuple[str, VideoAnalysis | Exception]]:
    """Analyse many clips with one loaded model, in order: (path, analysis or the error it raised).

    While the model runs on one clip, a worker thread already decodes and tracks the faces of the
    next (face finding and decoding are most of a clip's time, and mostly outside the model's threads)."""
    settings = dict(clip_length=detector.config.clip_length, crop_size=detector.config.backbone_size,
                    num_points=num_points)

    def faces_of(path):
        deadline = None if time_limit_s is None else time.perf_counter() + time_limit_s
        return extract_faces(path, deadline=deadline, **settings)

    pool = ThreadPoolExecutor(max_workers=1)
    try:
        pending = pool.submit(faces_of, paths[0]) if paths else None
        for i, path in enumerate(paths):
            current = pending
            pending = pool.submit(faces_of, paths[i + 1]) if i + 1 < len(paths) else None
            try:
                result = run_detector(detector, current.result(), weights=weights, threshold=threshold)
            except Exception as err:  # noqa: BLE001 - the caller reports each clip's failure on its own
                result = err
            yield str(path), result
    finally:  # a consumer that stops early does not wait for clips it will never read
        pool.shutdown(wait=False, cancel_futures=True)
