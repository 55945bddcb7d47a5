"""Figures to take away (PNG): a face with its map, and an original beside its other version with the
difference. Pure functions from arrays to RGB images, drawn with OpenCV (no plotting backend)."""

from __future__ import annotations

import cv2
import numpy as np

TILE = 256  # side of each face panel, px
CAPTION_H = 22  # px per caption line


def overlay(crop: np.ndarray, grid_map: np.ndarray, opacity: float = 0.5, lo: float | None = None,
            hi: float | None = None) -> np.ndarray:
    """(TILE, TILE, 3) uint8: the crop with the (g, g) map as a colour overlay (nearest cells)."""
    face = cv2.resize(crop, (TILE, TILE), interpolation=cv2.INTER_AREA)
    m = np.asarray(grid_map, np.float32)
    lo = float(m.min()) if lo is None else lo
    hi = float(m.max()) if hi is None else hi
    norm = np.clip((m - lo) / max(hi - lo, 1e-6), 0, 1)
    heat = cv2.applyColorMap((cv2.resize(norm, (TILE, TILE), interpolation=cv2.INTER_NEAREST) * 255).astype(np.uint8),
                             cv2.COLORMAP_INFERNO)[..., ::-1]
    return (face * (1 - opacity) + heat * opacity).astype(np.uint8)


def signed(diff: np.ndarray, crop: np.ndarray) -> np.ndarray:
    """(TILE, TILE, 3) uint8: a signed difference map (red = rose, blue = fell) over a faded crop."""
    face = cv2.resize(crop, (TILE, TILE), interpolation=cv2.INTER_AREA).astype(np.float32) * 0.35 + 255 * 0.4
    d = np.asarray(diff, np.float32)
    scale = max(float(np.abs(d).max()), 1e-6)
    big = cv2.resize(d / scale, (TILE, TILE), interpolation=cv2.INTER_NEAREST)[..., None]  # (T, T, 1) in [-1, 1]
    red, blue = np.array([200, 30, 30], np.float32), np.array([30, 60, 200], np.float32)
    colour = np.where(big > 0, red, blue)
    return (face * (1 - np.abs(big)) + colour * np.abs(big)).clip(0, 255).astype(np.uint8)


def with_caption(image: np.ndarray, lines: list[str]) -> np.ndarray:
    """The image with caption lines above it (white band, black text)."""
    band = np.full((CAPTION_H * len(lines) + 6, image.shape[1], 3), 255, np.uint8)
    for i, line in enumerate(lines):
        cv2.putText(band, line, (6, CAPTION_H * (i + 1) - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([band, image], 0)


def panel_row(panels: list[np.ndarray], titles: list[str]) -> np.ndarray:
    """Panels side by side, each with its title above it."""
    tiles = [with_caption(p, [t]) for p, t in zip(panels, titles)]
    return np.concatenate(tiles, 1)


def map_figure(crop: np.ndarray, grid_map: np.ndarray, caption: list[str], title: str = "map") -> np.ndarray:
    """The analysed face, its map, and a caption (verdict, checkpoint, analysis point)."""
    row = panel_row([cv2.resize(crop, (TILE, TILE), interpolation=cv2.INTER_AREA), overlay(crop, grid_map)],
                    ["face", title])
    return with_caption(row, caption)


def comparison_figure(crop_a: np.ndarray, map_a: np.ndarray, crop_b: np.ndarray, map_b: np.ndarray,
                      caption: list[str]) -> np.ndarray:
    """Original and other version with their maps on one colour scale, and the difference (b - a)."""
    lo, hi = float(min(map_a.min(), map_b.min())), float(max(map_a.max(), map_b.max()))
    panels = [overlay(crop_a, map_a, lo=lo, hi=hi), overlay(crop_b, map_b, lo=lo, hi=hi), signed(map_b - map_a, crop_a)]
    return with_caption(panel_row(panels, ["original", "other version", "difference (red: higher)"]), caption)


def png_bytes(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError("could not encode the figure as PNG")
    return buf.tobytes()
