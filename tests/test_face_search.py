"""Full-range face search (`face_search.py`) and the crop rule for frame-filling faces."""

import cv2
import numpy as np
import pytest

from lda_model.inference.pipeline import extract_faces
from lda_model.inference.face_search import Region, decode, equalise, nms, tiles
from lda_model.inference.faces import FaceDetector, fit_window
from lda_model.data.animation import animate, load_face_photo, write_video


def _face(side: int) -> np.ndarray:
    return cv2.resize(load_face_photo(), (side, side), interpolation=cv2.INTER_AREA)


def _paste(frame: np.ndarray, face: np.ndarray, x: int, y: int) -> np.ndarray:
    out = frame.copy()
    out[y:y + face.shape[0], x:x + face.shape[1]] = face
    return out


def test_decode_places_a_box_on_its_anchor():
    reg = np.zeros((2304, 16), np.float32)
    logits = np.full(2304, -10.0, np.float32)
    cell = 10 * 48 + 20  # row 10, column 20
    logits[cell] = 5.0
    reg[cell, 2:4] = 19.2  # 0.1 of the input wide and high
    boxes, scores = decode(reg, logits)
    assert boxes.shape == (1, 4) and scores[0] > 0.99
    cx, cy = (20 + 0.5) / 48, (10 + 0.5) / 48
    np.testing.assert_allclose(boxes[0], [cx - 0.05, cy - 0.05, cx + 0.05, cy + 0.05], atol=1e-6)


def test_nms_keeps_the_best_of_overlapping_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], np.float32)
    assert nms(boxes, np.array([0.6, 0.9, 0.7])) == [1, 2]


def test_tiles_cover_landscape_and_portrait_frames():
    for w, h in ((1920, 1080), (1080, 1920)):
        regions = tiles(w, h)
        assert regions[0].side == max(w, h)  # the whole frame first
        for side in (min(w, h), min(w, h) / 2):
            tiles_ = [r for r in regions if r.side == side]
            assert min(r.x0 for r in tiles_) == 0 and max(r.x0 + r.side for r in tiles_) == pytest.approx(w)
            assert min(r.y0 for r in tiles_) == 0 and max(r.y0 + r.side for r in tiles_) == pytest.approx(h)


def test_region_cut_and_back_is_a_round_trip():
    region = Region(100.0, 50.0, 200.0)
    pts = np.array([[0, 0], [160, 80]], np.float32)
    back = region.to_frame(pts, 320)
    np.testing.assert_allclose(back, [[100, 50], [200, 100]])


def test_equalise_brightens_a_dark_frame_only_for_detection():
    dark = (_face(128) * 0.2).astype(np.uint8)
    assert equalise(dark).mean() > dark.mean() + 10


def test_fit_window_keeps_the_crop_inside_the_frame():
    inside = fit_window(np.array([50, 60, 400], np.float32), 298, 298)  # face crop: margin runs off
    assert inside.tolist() == [149, 149, 298]
    moved = fit_window(np.array([20, 500, 100], np.float32), 640, 480)
    assert moved.tolist() == [50, 430, 100]
    untouched = fit_window(np.array([320, 240, 100], np.float32), 640, 480)
    assert untouched.tolist() == [320, 240, 100]


@pytest.mark.parametrize("case", ["small_dark_landscape", "small_portrait"])
def test_search_finds_faces_the_landmarker_alone_misses(case):
    w, h = (1920, 1080) if case == "small_dark_landscape" else (1080, 1920)
    frame = np.full((h, w, 3), 25, np.uint8)
    face = _face(240)  # the photo's face is ~1/5 of it: a ~50 px face in the frame
    if case == "small_dark_landscape":
        face = (face * 0.45).astype(np.uint8)
    frame = _paste(frame, face, int(w * 0.62), int(h * 0.3))
    with FaceDetector(search=False) as plain:
        assert plain.detect(frame, 0.0) == []
    with FaceDetector() as det:
        faces = det.detect(frame, 0.0)
        assert len(faces) == 1
        x0, y0, x1, y1 = faces[0].box
        assert int(w * 0.62) < (x0 + x1) / 2 < int(w * 0.62) + 240 and int(h * 0.3) < (y0 + y1) / 2 < int(h * 0.3) + 240
        assert 30 < faces[0].size < 120
        # the next frame follows the face found (region retried first)
        assert len(det.detect(frame, 0.04)) == 1


def test_a_face_filling_the_frame_is_tracked_with_crops_inside_the_image(tmp_path):
    frames = animate(_face(256), num_frames=12)  # (12, 256, 256, 3): the face fills the frame
    path = write_video(tmp_path / "facecrop.mp4", frames)
    faces = extract_faces(path, clip_length=4, crop_size=64, num_points=3)
    assert faces.tracks, "no face track in a frame-filling face clip"
    for point in faces.tracks[0]:
        cx, cy, side = point.window
        assert side <= 256 + 1e-3 and cx - side / 2 >= -1e-3 and cx + side / 2 <= 256 + 1e-3
        assert cy - side / 2 >= -1e-3 and cy + side / 2 <= 256 + 1e-3


def test_a_frame_without_a_face_still_gives_no_face():
    rng = np.random.default_rng(0)
    frame = (rng.random((480, 640, 3)) * 255).astype(np.uint8)
    with FaceDetector() as det:
        assert det.detect(frame, 0.0) == []


def test_a_face_the_landmarker_finds_pays_nothing_for_the_search():
    frame = cv2.resize(load_face_photo(), (640, 640))
    with FaceDetector() as det:
        assert len(det.detect(frame, 0.0)) == 1
        assert det._search is None and det._image_landmarker is None  # the fallback never started
