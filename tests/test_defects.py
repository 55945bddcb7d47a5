import numpy as np
import pytest

from lda_model.evaluation.defects import DEFECTS, apply_defect, attention_difference, grid_region, localization_hit
from lda_model.inference.faces import FaceDetector
from lda_model.inference.landmarks import region_box
from lda_model.data.animation import load_face_photo


@pytest.fixture(scope="module")
def face():
    img = load_face_photo()
    with FaceDetector() as det:
        return img, det.detect(img, 0.0)[0].landmarks


@pytest.mark.parametrize("kind", ["blur_mouth", "red_pupil", "distort_mouth"])
def test_defects_change_only_their_region(face, kind):
    img, lms = face
    out, mask = apply_defect(img, lms, kind, 1.0)
    assert out.shape == img.shape and mask.dtype == bool and mask.any()
    changed = np.abs(out.astype(int) - img).sum(-1) > 0
    assert changed.any()
    # everything that changed is near the region (within a few pixels of the mask's box)
    ys, xs = np.nonzero(mask)
    cy, cx = np.nonzero(changed)
    assert cx.min() >= xs.min() - 40 and cx.max() <= xs.max() + 40 and cy.min() >= ys.min() - 40
    # and the region sits where the landmarks say
    target = "mouth" if "mouth" in kind else "left_eye"
    bx = region_box(lms, target)
    assert xs.min() < bx[2] and xs.max() > bx[0] - (200 if kind == "red_pupil" else 0)


def test_strength_zero_is_identity_for_blur(face):
    img, lms = face
    out, _ = apply_defect(img, lms, "blur_mouth", 0.0)
    assert np.array_equal(out, img)


def test_region_defect_needs_a_box(face):
    img, lms = face
    with pytest.raises(ValueError, match="needs a box"):
        apply_defect(img, lms, "region")
    out, mask = apply_defect(img, lms, "region", 1.0, box=(10, 10, 60, 40))
    assert mask.sum() == 50 * 30
    with pytest.raises(ValueError, match="unknown defect"):
        apply_defect(img, lms, "laser_eyes")
    assert "region" in DEFECTS


def test_grid_and_hit():
    mask = np.zeros((140, 140), bool)
    mask[100:120, 60:80] = True  # cells (10..11, 6..7) of a 14x14 grid
    cells = grid_region(mask, 14)
    assert cells.sum() == 4 and cells[10, 6] and cells[11, 7]
    diff = np.zeros((14, 14))
    diff[10, 7] = 1.0
    hit, peak, chance, rises = localization_hit(diff, mask)
    assert hit and rises and peak == (10, 7) and chance == pytest.approx(4 / 196)
    diff[0, 0] = 2.0
    assert not localization_hit(diff, mask)[0]
    # attention falling on the defect is no hit: the peak must be a rise
    fall = np.zeros((14, 14))
    fall[10, 6] = -1.0
    assert not localization_hit(fall, mask)[0] and not localization_hit(fall, mask)[3]
    mixed = np.zeros((14, 14))
    mixed[10, 6], mixed[11, 7] = 0.5, -2.0  # a small rise at the peak, a larger fall elsewhere in the region
    hit, _, _, rises = localization_hit(mixed, mask)
    assert hit and not rises


def test_attention_difference_is_signed():
    before = [np.zeros((2, 3, 3)), np.ones((2, 3, 3))]
    after = [np.ones((2, 3, 3)), np.zeros((2, 3, 3))]
    np.testing.assert_array_equal(attention_difference(before, after), np.zeros((3, 3)))
    np.testing.assert_array_equal(attention_difference(before[:1], after[:1]), np.full((3, 3), 2.0))
