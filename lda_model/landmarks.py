"""Named regions of MediaPipe's 478-point face mesh, and masks/boxes made from them."""

from __future__ import annotations

import cv2
import numpy as np

FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
             148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109]
LIPS_OUTER = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185]
LEFT_EYE = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246]
RIGHT_EYE = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466]
LEFT_IRIS = [468, 469, 470, 471, 472]  # centre first (refined landmarks)
RIGHT_IRIS = [473, 474, 475, 476, 477]
NOSE = [168, 6, 197, 195, 5, 4, 1, 19, 94, 2, 98, 327, 64, 294, 48, 278]
# Inner face: eyebrows to chin without the outer cheeks (a tighter blending region).
INNER_FACE = [70, 63, 105, 66, 107, 9, 336, 296, 334, 293, 300, 383, 372, 345, 352, 376, 411, 416, 430, 431,
              262, 428, 199, 208, 32, 211, 210, 192, 187, 147, 123, 116, 143, 156]

REGIONS = {
    "face": FACE_OVAL,
    "inner": INNER_FACE,
    "mouth": LIPS_OUTER,
    "left_eye": LEFT_EYE,
    "right_eye": RIGHT_EYE,
    "nose": NOSE,
}


def polygon_mask(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Float32 {0, 1} mask of the convex hull of (N, 2) points in an image of `shape` (h, w)."""
    mask = np.zeros(shape, dtype=np.uint8)
    hull = cv2.convexHull(np.round(points).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1)
    return mask.astype(np.float32)


def region_mask(landmarks: np.ndarray, shape: tuple[int, int], region: str = "face") -> np.ndarray:
    return polygon_mask(landmarks[REGIONS[region]], shape)


def region_box(landmarks: np.ndarray, region: str) -> np.ndarray:
    """(x0, y0, x1, y1) of a region's landmarks."""
    pts = landmarks[REGIONS[region]]
    return np.concatenate([pts.min(0), pts.max(0)])


def iris(landmarks: np.ndarray, side: str) -> tuple[np.ndarray, float]:
    """Centre (2,) and radius of an iris from the refined landmarks."""
    idx = LEFT_IRIS if side == "left" else RIGHT_IRIS
    centre = landmarks[idx[0]]
    radius = float(np.mean(np.linalg.norm(landmarks[idx[1:]] - centre, axis=1)))
    return centre, max(radius, 1.0)
