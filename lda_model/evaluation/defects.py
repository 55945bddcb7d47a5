"""Visible defects placed by landmarks: the paper's Fig. 8 experiment, made reproducible.

`apply_defect(image, landmarks, kind, strength)` returns the tampered image and the defect
region (bool mask). Kinds:

- `blur_mouth`: Gaussian blur inside the (slightly grown) lip hull, sigma ~ strength;
- `red_pupil`: both irises tinted red, opacity ~ strength;
- `distort_mouth`: the mouth region twisted (a smooth local swirl around its centre);
- `region`: Gaussian blur inside a user-given box (x0, y0, x1, y1).

`localization_hit(diff, region)` decides whether the attention-map difference peaks inside the
region (on the patch grid).

The difference is signed (tampered - original, summed over maps). Caution when reading the
literal protocol ("the peak lies in the region"): each LDA activation depends only on its own
patch (content + position), so maps can change only on patches whose pixels changed and the
peak lands in the region for almost any weights (an untrained lite model scored 1.0 on 24 trials,
see README). `rises` is the discriminating question: does attention go *up* on the defect on
average (mean signed change over the region's patches > 0)?
"""

from __future__ import annotations

import cv2
import numpy as np

from ..inference.landmarks import iris, polygon_mask, region_box, REGIONS

DEFECTS = ("blur_mouth", "red_pupil", "distort_mouth", "region")


def _mouth_mask(landmarks: np.ndarray, shape: tuple[int, int], grow: float = 0.25) -> np.ndarray:
    pts = landmarks[REGIONS["mouth"]]
    c = pts.mean(0)
    return polygon_mask(c + (pts - c) * (1 + grow), shape) > 0


def apply_defect(image: np.ndarray, landmarks: np.ndarray, kind: str, strength: float = 1.0,
                 box: tuple[float, float, float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(tampered uint8 RGB image, bool region mask)."""
    if kind not in DEFECTS:
        raise ValueError(f"unknown defect {kind!r}; choose from {DEFECTS}")
    strength = float(np.clip(strength, 0.0, 2.0))
    h, w = image.shape[:2]
    out = image.copy()
    if kind == "blur_mouth" or kind == "region":
        if kind == "region":
            if box is None:
                raise ValueError("the 'region' defect needs a box (x0, y0, x1, y1)")
            x0, y0, x1, y1 = (int(round(v)) for v in box)
            x0, x1 = sorted((max(0, min(w, x0)), max(0, min(w, x1))))
            y0, y1 = sorted((max(0, min(h, y0)), max(0, min(h, y1))))
            mask = np.zeros((h, w), bool)
            mask[y0:y1, x0:x1] = True
            size = max(x1 - x0, y1 - y0, 1)
        else:
            mask = _mouth_mask(landmarks, (h, w))
            bx = region_box(landmarks, "mouth")
            size = max(bx[2] - bx[0], bx[3] - bx[1], 1.0)
        if mask.any() and strength > 0:
            blurred = cv2.GaussianBlur(image, (0, 0), max(0.5, 0.15 * size * strength))
            out[mask] = blurred[mask]
        return out, mask
    if kind == "red_pupil":
        mask = np.zeros((h, w), bool)
        for side in ("left", "right"):
            centre, r = iris(landmarks, side)
            disk = np.zeros((h, w), np.uint8)
            cv2.circle(disk, (int(round(centre[0])), int(round(centre[1]))), max(1, int(round(r))), 1, -1)
            mask |= disk > 0
        red = np.zeros_like(image)
        red[..., 0] = 230
        a = min(1.0, 0.85 * strength)
        out[mask] = (image[mask] * (1 - a) + red[mask] * a).astype(np.uint8)
        return out, mask
    # distort_mouth: inside a smooth bump around the mouth, sample from a rotated position
    bx = region_box(landmarks, "mouth")
    cx, cy = (bx[0] + bx[2]) / 2, (bx[1] + bx[3]) / 2
    rx, ry = max((bx[2] - bx[0]) * 0.9, 2.0), max((bx[3] - bx[1]) * 1.4, 2.0)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d2 = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2
    bump = np.exp(-2.5 * d2)
    support = np.clip((bump - 0.1) / 0.9, 0, 1)  # exactly 0 outside the region: no change there
    theta = 1.2 * strength * support  # a swirl around the mouth centre, fading out to the border
    dx, dy = xx - cx, (yy - cy) * (rx / ry)
    map_x = cx + dx * np.cos(theta) - dy * np.sin(theta)
    map_y = cy + (dx * np.sin(theta) + dy * np.cos(theta)) * (ry / rx)
    out = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return out, support > 0


def grid_region(mask: np.ndarray, grid: int) -> np.ndarray:
    """(grid, grid) bool: patch cells that overlap the region mask."""
    h, w = mask.shape
    ys = np.linspace(0, h, grid + 1).astype(int)
    xs = np.linspace(0, w, grid + 1).astype(int)
    return np.array([[mask[ys[i]:ys[i + 1], xs[j]:xs[j + 1]].any() for j in range(grid)] for i in range(grid)])


def attention_difference(before: list[np.ndarray], after: list[np.ndarray]) -> np.ndarray:
    """Signed sum over maps of (after - before), each (m, g, g) -> (g, g)."""
    return sum((a - b).sum(0) for a, b in zip(after, before))


def localization_hit(diff: np.ndarray, region_mask: np.ndarray) -> tuple[bool, tuple[int, int], float, bool]:
    """(hit, peak, chance, rises): hit = the positive peak cell of `diff` (g, g) overlaps the
    defect region; chance = fraction of cells overlapping it; rises = the mean change over those
    cells is positive."""
    cells = grid_region(region_mask, diff.shape[0])
    peak = np.unravel_index(int(np.argmax(diff)), diff.shape)
    return bool(cells[peak] and diff[peak] > 0), (int(peak[0]), int(peak[1])), float(cells.mean()), rises_on(diff, cells)


def rises_on(diff: np.ndarray, cells: np.ndarray) -> bool:
    """Is the mean change of `diff` (g, g) over the region's cells (g, g) bool positive?"""
    return bool(cells.any() and diff[cells].mean() > 0)
