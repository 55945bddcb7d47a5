"""Clips the project makes itself (tests, examples, benchmarks) from a public-domain photo.

`assets/faces/astronaut.jpg` (NASA, public domain; see its SOURCE.md) is moved with small,
smooth affine motions (drift, rotation, zoom) to make a talking-head-like clip. Pure functions
return frames; `write_video` is the only I/O.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
from ..paths import FACES_DIR

ASTRONAUT = FACES_DIR / "astronaut.jpg"


def load_face_photo(path: str | os.PathLike = ASTRONAUT) -> np.ndarray:
    """The bundled face photo as RGB uint8."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(path)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def animate(
    image: np.ndarray,
    num_frames: int,
    size: tuple[int, int] | None = None,
    seed: int = 0,
    amplitude: float = 1.0,
    centre: tuple[float, float] | None = None,
) -> np.ndarray:
    """(T, H, W, 3) frames of `image` under a smooth random similarity motion.

    `amplitude` scales the motion (1.0: up to ~4% shift, 3 degrees, 3% zoom); `size` (w, h)
    is the output frame size (default: the image's); `centre` the rotation centre in pixels.
    """
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    out_w, out_h = size or (w, h)
    cx, cy = centre or (w / 2, h / 2)
    t = np.linspace(0, 1, num_frames)
    ph = rng.uniform(0, 2 * np.pi, size=4)
    fr = rng.uniform(0.5, 1.5, size=4)
    dx = amplitude * 0.04 * w * np.sin(2 * np.pi * fr[0] * t + ph[0])
    dy = amplitude * 0.03 * h * np.sin(2 * np.pi * fr[1] * t + ph[1])
    rot = amplitude * 3.0 * np.sin(2 * np.pi * fr[2] * t + ph[2])
    zoom = 1 + amplitude * 0.03 * np.sin(2 * np.pi * fr[3] * t + ph[3])
    frames = np.empty((num_frames, out_h, out_w, 3), dtype=np.uint8)
    sx, sy = out_w / w, out_h / h
    for i in range(num_frames):
        m = cv2.getRotationMatrix2D((cx, cy), rot[i], zoom[i])
        m[:, 2] += (dx[i], dy[i])
        m[0] *= sx
        m[1] *= sy
        frames[i] = cv2.warpAffine(image, m, (out_w, out_h), borderMode=cv2.BORDER_REFLECT)
    return frames


def write_video(path: str | os.PathLike, frames: np.ndarray, fps: float = 25.0) -> Path:
    """Write RGB frames (T, H, W, 3): .webm as VP8 (plays in browsers), .avi as MJPG, .mkv as FFV1
    (lossless: the frames decode back exactly), else mp4v."""
    path = Path(path)
    codec = {".avi": "MJPG", ".webm": "VP80", ".mkv": "FFV1"}.get(path.suffix.lower(), "mp4v")
    fourcc = cv2.VideoWriter_fourcc(*codec)
    h, w = frames.shape[1:3]
    writer = cv2.VideoWriter(str(path), fourcc, fps, (w, h))
    if not writer.isOpened():
        raise OSError(f"cannot write {path}")
    try:
        for f in frames:
            writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path


def make_face_clip(path: str | os.PathLike, num_frames: int = 24, size: tuple[int, int] = (256, 256),
                   fps: float = 25.0, seed: int = 0) -> Path:
    """The standard generated test clip: the astronaut, gently moving."""
    return write_video(path, animate(load_face_photo(), num_frames, size=size, seed=seed), fps)
