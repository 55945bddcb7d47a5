"""Recording conditions a real clip can suffer (blur, upscaling, a dark room), applied on purpose:
the app's condition lab and `benchmarks.degradations` ask how far each moves a real face's score."""

from __future__ import annotations

import cv2
import numpy as np


def degrade_frame(frame: np.ndarray, kind: str, amount: float) -> np.ndarray:
    """(H, W, 3) uint8 -> the same size, uniformly degraded: blurred (`kind` "blur", sigma `amount`
    px), resampled down to `amount` px on the long side and back up ("resample"), or darkened to
    `amount` times its brightness ("dark")."""
    if kind == "blur":
        return cv2.GaussianBlur(frame, (0, 0), float(amount))
    if kind == "dark":
        return cv2.convertScaleAbs(frame, alpha=float(amount), beta=0)
    if kind != "resample":
        raise ValueError(f"unknown degradation {kind!r}")
    h, w = frame.shape[:2]
    scale = float(amount) / max(h, w)
    small = cv2.resize(frame, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
