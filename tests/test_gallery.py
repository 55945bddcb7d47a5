"""The forgery gallery: a pure grid function and the CLI over a tiny cache."""

import cv2
import numpy as np
import pytest

from lda_model.data.gallery import CAPTION_HEIGHT, gallery_grid, main, mask_to_rgb


def _row(value: int, mask_value: float) -> dict:
    img = np.full((40, 40, 3), value, np.uint8)
    return {"real": img, "fake": img, "masks": np.full((3, 40, 40), mask_value, np.float32), "caption": "x"}


def test_grid_layout_places_each_cell():
    grid = gallery_grid([_row(10, 0.0), _row(200, 1.0)], tile=32)
    assert grid.shape == (CAPTION_HEIGHT + 2 * (32 + CAPTION_HEIGHT), 4 * 32, 3) and grid.dtype == np.uint8
    y1 = CAPTION_HEIGHT + 32 + CAPTION_HEIGHT  # second row's tiles start here
    assert (grid[y1 + CAPTION_HEIGHT + 5, 5] == 200).all()  # real
    assert (grid[y1 + CAPTION_HEIGHT + 5, 2 * 32 + 5] == 255).all()  # mask 1.0 -> white
    assert (grid[2 * CAPTION_HEIGHT + 5, 3 * 32 + 5] == 0).all()  # first row's last-frame mask 0.0 -> black
    with pytest.raises(ValueError):
        gallery_grid([])


def test_mask_to_rgb_range():
    out = mask_to_rgb(np.array([[0.0, 0.5, 1.0, 2.0]], np.float32))
    assert out.shape == (1, 4, 3) and out[0, :, 0].tolist() == [0, 128, 255, 255]


def test_cli_writes_a_png_of_forged_rows(tiny_cache, tmp_path):
    out = tmp_path / "g" / "gallery.png"
    assert main(["--data", str(tiny_cache), "--out", str(out), "--rows", "3", "--kind", "swap", "--tile", "48"]) == 0
    img = cv2.imread(str(out))
    assert img.shape == (CAPTION_HEIGHT + 3 * (48 + CAPTION_HEIGHT), 4 * 48, 3)
    masks = img[:, 2 * 48:]  # a forgery replaces part of the face: its mask is neither empty nor full
    assert masks.max() == 255 and masks.min() < 50
    assert main(["--data", str(tmp_path / "missing"), "--out", str(out)]) == 1
