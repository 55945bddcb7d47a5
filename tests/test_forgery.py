import numpy as np
import pytest

from lda_model.inference.faces import FaceDetector, crop_square, crop_window, to_crop_coords
from lda_model.data.forgery import (ForgeryParams, blend_mask, face_swap, forge_clip, jitter_params, sample_params,
                               self_blend, triangulation)
from lda_model.data.animation import animate, load_face_photo


@pytest.fixture(scope="module")
def face_clip_arrays():
    """(4, 128, 128, 3) aligned crops of the moving astronaut + per-frame landmarks."""
    frames = animate(load_face_photo(), 4, seed=3, amplitude=0.5)
    with FaceDetector() as det:
        faces = [det.detect(f, i / 25)[0] for i, f in enumerate(frames)]
    window = crop_window(faces[0].landmarks, 0.3)
    crops = np.stack([crop_square(f, window, 128) for f in frames])
    lms = np.stack([to_crop_coords(f.landmarks, window, 128) for f in faces]).astype(np.float32)
    return crops, lms


def test_self_blend_changes_only_inside_the_mask(face_clip_arrays):
    crops, lms = face_clip_arrays
    p = ForgeryParams(rgb_shift=(30.0, -10.0, 5.0), resample=0.5, mask_blur=0.02)
    fake, mask = self_blend(crops[0], lms[0], p)
    assert fake.shape == crops[0].shape and fake.dtype == np.uint8
    assert mask.shape == crops.shape[1:3] and 0 <= mask.min() and mask.max() <= 1
    outside = mask < 1e-3
    assert np.array_equal(fake[outside], crops[0][outside])
    inside = mask > 0.9
    assert np.abs(fake[inside].astype(int) - crops[0][inside]).mean() > 5


def test_mask_parameters(face_clip_arrays):
    _, lms = face_clip_arrays
    small = blend_mask(lms[0], (128, 128), ForgeryParams(mask_grow=-0.05))
    big = blend_mask(lms[0], (128, 128), ForgeryParams(mask_grow=0.05))
    assert (big > 0.5).sum() > (small > 0.5).sum()
    half = blend_mask(lms[0], (128, 128), ForgeryParams(blend=0.5))
    assert half.max() == pytest.approx(0.5, abs=1e-3)


def test_swap_puts_the_donor_inside_the_face(face_clip_arrays):
    crops, lms = face_clip_arrays
    donor = np.full_like(crops[0], 40)  # a dark "face"
    fake, mask = face_swap(crops[0], lms[0], donor, lms[1], ForgeryParams(kind="swap", mask_blur=0.01))
    inside = mask > 0.9
    assert inside.sum() > 500
    # colour matching pulls the donor's LAB statistics towards the target, so it is no longer uniform 40
    assert np.abs(fake[inside].astype(int) - 40).mean() > 20
    assert np.array_equal(fake[mask < 1e-3], crops[0][mask < 1e-3])


def test_triangulation_covers_the_points(face_clip_arrays):
    _, lms = face_clip_arrays
    tris = triangulation(lms[0][:60], (128, 128))
    assert tris.ndim == 2 and tris.shape[1] == 3 and len(tris) > 20


def test_seeded_and_reproducible(face_clip_arrays):
    crops, lms = face_clip_arrays
    a = forge_clip(crops, lms, np.random.default_rng(7))
    b = forge_clip(crops, lms, np.random.default_rng(7))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]
    c = forge_clip(crops, lms, np.random.default_rng(8))
    assert not np.array_equal(a[0], c[0])


def test_temporal_modes(face_clip_arrays):
    crops, lms = face_clip_arrays
    rng = np.random.default_rng(0)
    _, masks_c, d = forge_clip(crops, lms, rng, kind="self_blend", temporal="consistent")
    assert d["temporal"] == "consistent"
    _, masks_j, _ = forge_clip(crops, lms, np.random.default_rng(0), kind="self_blend", temporal="jitter")
    # jittered blend ratios / mask blur change the mask's peak from frame to frame; consistent ones do not
    assert np.ptp([m.max() for m in masks_c]) < 1e-6
    assert np.ptp([m.sum() for m in masks_j]) > np.ptp([m.sum() for m in masks_c])
    with pytest.raises(ValueError, match="donor"):
        forge_clip(crops, lms, rng, kind="swap")


def test_jitter_keeps_kind_and_changes_numbers():
    rng = np.random.default_rng(1)
    p = sample_params(rng, "self_blend")
    q = jitter_params(p, rng)
    assert q.kind == p.kind and q.region == p.region
    assert q.rgb_shift != p.rgb_shift and 0.2 <= q.blend <= 1.0
