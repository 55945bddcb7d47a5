"""Pure transforms from face crops to the model's input tensors."""

from __future__ import annotations

import cv2
import numpy as np
import torch


def fit_clip(crops: np.ndarray, need: int) -> np.ndarray:
    """(T, S, S, 3) crops -> exactly `need` frames: the first `need`, a shorter clip (a still)
    padded with its last frame."""
    if len(crops) < need:
        crops = np.concatenate([crops, np.repeat(crops[-1:], need - len(crops), 0)])
    return crops[:need]


def crops_to_tensor(crops: np.ndarray, size: int, mean: tuple, std: tuple) -> torch.Tensor:
    """(..., S, S, 3) uint8 RGB -> (..., 3, size, size) float normalised."""
    if crops.shape[-2] != size:
        flat = crops.reshape(-1, *crops.shape[-3:])
        interp = cv2.INTER_AREA if crops.shape[-2] > size else cv2.INTER_LINEAR
        flat = np.stack([cv2.resize(c, (size, size), interpolation=interp) for c in flat])
        crops = flat.reshape(*crops.shape[:-3], size, size, 3)
    x = torch.from_numpy(np.ascontiguousarray(crops)).movedim(-1, -3).float().div_(255.0)
    m = torch.tensor(mean).view(3, 1, 1)
    s = torch.tensor(std).view(3, 1, 1)
    return (x - m) / s
