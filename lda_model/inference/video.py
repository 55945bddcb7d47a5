"""Video decoding: probe a file, pick analysis points, stream the frames they need.

OpenCV's FFmpeg backend reads mp4/webm/mov/avi/mkv and applies rotation metadata itself
(`CAP_PROP_ORIENTATION_AUTO`, on by default). Frames are *streamed*: frames no analysis point
needs are skipped with `grab()` (no decode to BGR, no copy), and only the frames asked for are
converted to RGB, downscaled to `max_side` if larger, and yielded. Time stamps come from the
container (`CAP_PROP_POS_MSEC`), so variable frame rate clips get their real times.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

VIDEO_EXTS = frozenset({".mp4", ".webm", ".mov", ".avi", ".mkv"})  # what the CLIs take for a clip in a folder or list
DEFAULT_MAX_SIDE = 1920  # frames larger than this (e.g. 4K) are downscaled once after decoding


class VideoError(ValueError):
    """A file that cannot be analysed as a video; the message is meant for the user."""


@dataclass(frozen=True)
class VideoInfo:
    path: str
    width: int
    height: int
    fps: float
    frame_count: int  # from the container; may be an estimate
    size_bytes: int

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps if self.fps > 0 else 0.0


def _open(path: str | os.PathLike) -> cv2.VideoCapture:
    p = Path(path)
    if not p.is_file():
        raise VideoError(f"no such file: {p}")
    if p.stat().st_size == 0:
        raise VideoError(f"empty file: {p.name}")
    cap = cv2.VideoCapture(str(p), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        cap.release()
        raise VideoError(f"not a readable video: {p.name}")
    return cap


def probe_video(path: str | os.PathLike) -> VideoInfo:
    """Container facts without decoding more than the first frame."""
    cap = _open(path)
    try:
        ok, frame = cap.read()
        if not ok or frame is None:
            raise VideoError(f"no decodable video frames in {Path(path).name}")
        h, w = frame.shape[:2]
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    finally:
        cap.release()
    if not np.isfinite(fps) or fps <= 0 or fps > 1000:
        fps = 0.0
    return VideoInfo(str(path), w, h, fps, max(count, 1), Path(path).stat().st_size)


def count_frames(path: str | os.PathLike, limit: int | None = None) -> int:
    """Count decodable frames by grabbing (no colour conversion); stops at `limit`."""
    cap = _open(path)
    n = 0
    try:
        while (limit is None or n < limit) and cap.grab():
            n += 1
    finally:
        cap.release()
    return n


def analysis_points(num_frames: int, clip_length: int, num_points: int) -> list[int]:
    """Evenly spaced start frames t so that t .. t+clip_length-1 all exist.

    >>> analysis_points(100, 4, 4)
    [0, 32, 64, 96]
    """
    if num_frames < clip_length:
        raise VideoError(
            f"the clip has {num_frames} frame(s); the model needs at least {clip_length} "
            f"(a frame and its next {clip_length - 1})"
        )
    last = num_frames - clip_length
    points = np.linspace(0, last, num=min(num_points, last + 1))
    return sorted({int(round(p)) for p in points})


def frames_needed(points: list[int], clip_length: int) -> list[int]:
    """Every frame index the analysis points need, sorted, without repeats."""
    return sorted({t + k for t in points for k in range(clip_length)})


def fit_max_side(frame: np.ndarray, max_side: int) -> np.ndarray:
    h, w = frame.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1:
        return frame
    return cv2.resize(frame, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def iter_frames(
    path: str | os.PathLike, indices: list[int], max_side: int = DEFAULT_MAX_SIDE
) -> Iterator[tuple[int, float, np.ndarray]]:
    """Yield (index, time_s, RGB uint8 frame) for the wanted frame indices, in order.

    A clip shorter than its container claimed simply ends early; a frame that fails to
    decode in the middle is skipped (the caller sees the gap in the indices).
    """
    wanted = sorted(set(indices))
    if not wanted:
        return
    cap = _open(path)
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        pos, i, last_ms = 0, 0, -1.0
        while i < len(wanted):
            if not cap.grab():
                break
            ms = float(cap.get(cv2.CAP_PROP_POS_MSEC))
            if not np.isfinite(ms) or ms <= last_ms:  # missing or non-monotonic stamps
                ms = pos * 1000.0 / fps if fps > 0 else last_ms + 1.0
            last_ms = ms
            if pos == wanted[i]:
                ok, bgr = cap.retrieve()
                if ok and bgr is not None and bgr.size:
                    if bgr.ndim == 2:
                        rgb = cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB)
                    else:
                        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                    yield pos, ms / 1000.0, fit_max_side(rgb, max_side)
                i += 1
            pos += 1
    finally:
        cap.release()


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_END = object()


def prefetch(items: Iterator, depth: int = 8) -> Iterator:
    """Run an iterator (e.g. `iter_frames`) in a background thread, `depth` items ahead.

    OpenCV releases the GIL while it decodes, so decoding overlaps the consumer's work (face
    landmarks, crops). Memory stays bounded by `depth` items; errors are re-raised in the
    consumer; closing the consumer stops the producer and closes its iterator.
    """
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in items:
                if not put(item):
                    break
            else:
                put(_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            put(_Failed(exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=run, name="frame-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        stop.set()
        worker.join(timeout=10)
