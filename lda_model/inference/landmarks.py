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


# The named parts of a face crop that attention mass is reported in (`attention_by_region`), in
# label order; left and right as seen in the image. Eyes, mouth and nose are their landmark hulls,
# grown by PART_GROW of the face size so that a map's coarse patches on them count; the rest of the
# face oval is forehead (above the eyes), jaw line (a JAW_BAND-wide band along the lower oval) or
# cheeks; outside the oval is background margin.
REGION_NAMES = ("mouth", "left eye", "right eye", "nose", "forehead", "cheeks", "jaw line", "background margin")
PART_GROW = 0.04
JAW_BAND = 0.1


def _grown(points: np.ndarray, shape: tuple[int, int], grow: int) -> np.ndarray:
    mask = polygon_mask(points, shape).astype(np.uint8)
    if grow > 0:
        mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    return mask.astype(bool)


def region_labels(landmarks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(h, w) int array: the index into REGION_NAMES of every pixel of a face crop."""
    h, w = shape
    oval = landmarks[FACE_OVAL]
    size = float(max(oval.max(0) - oval.min(0)))
    grow = int(round(PART_GROW * size))
    face = polygon_mask(oval, shape).astype(bool)
    labels = np.full(shape, REGION_NAMES.index("background margin"), np.int64)
    ys = np.arange(h)[:, None].repeat(w, 1)
    eye_top = float(min(landmarks[LEFT_EYE][:, 1].min(), landmarks[RIGHT_EYE][:, 1].min())) - grow
    inner = cv2.erode(face.astype(np.uint8), cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (2 * int(JAW_BAND * size) + 1,) * 2)).astype(bool)
    centre_y = float(landmarks[NOSE][:, 1].mean())
    labels[face] = REGION_NAMES.index("cheeks")
    labels[face & ~inner & (ys > centre_y)] = REGION_NAMES.index("jaw line")
    labels[face & (ys < eye_top)] = REGION_NAMES.index("forehead")
    # parts last, so they win where the grown hulls overlap the rest
    for name, idx in (("nose", NOSE), ("left eye", LEFT_EYE), ("right eye", RIGHT_EYE), ("mouth", LIPS_OUTER)):
        labels[_grown(landmarks[idx], shape, grow)] = REGION_NAMES.index(name)
    return labels


def attention_by_region(attention: np.ndarray, landmarks: np.ndarray, size: int) -> dict[str, float]:
    """Share (in %, summing to 100) of a (g, g) map's mass on each named region of a size x size
    face crop with `landmarks` in crop pixels; the map is spread evenly over each patch's pixels.
    The mass is the map above its lowest patch: a level common to every patch (the gates sit near 0.5, the
    forgery map a little above 0) is no attention, and would otherwise go mostly to the largest region, the
    background margin. A flat map is shared by area. Best first; regions with no pixels in the crop
    are left out."""
    att = np.clip(np.asarray(attention, np.float64), 0, None)
    att = att - att.min()
    g = att.shape[0]
    cell = cv2.resize(att, (size, size), interpolation=cv2.INTER_NEAREST) / (size / g) ** 2  # mass per pixel
    labels = region_labels(landmarks, (size, size))
    mass = np.bincount(labels.ravel(), weights=cell.ravel(), minlength=len(REGION_NAMES))
    area = np.bincount(labels.ravel(), minlength=len(REGION_NAMES))
    present = area > 0
    total = mass.sum()
    shares = mass / total * 100 if total > 0 else area / area.sum() * 100
    out = {REGION_NAMES[i]: float(shares[i]) for i in np.argsort(-shares) if present[i]}
    return out


def describe_regions(shares: dict[str, float], top: int = 3) -> str:
    """'mouth 41 %, left eye 18 %, nose 12 %': the `top` regions of `attention_by_region`."""
    return ", ".join(f"{name} {share:.0f} %" for name, share in list(shares.items())[:top])


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
