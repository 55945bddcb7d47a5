import hashlib

import numpy as np
import pytest

from lda_model.inference import faces
from lda_model.inference.faces import (Face, FaceDetector, FaceModelError, FaceTracker, crop_square, crop_window,
                             download_face_model, to_crop_coords)
from lda_model.data.animation import load_face_photo


def box_face(x0, y0, x1, y1):
    pts = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1], [(x0 + x1) / 2, (y0 + y1) / 2]], np.float32)
    return Face(pts)


def test_crop_window_is_square_with_margin():
    lms = np.array([[10, 20], [50, 100]], np.float32)  # 40 x 80 box
    cx, cy, side = crop_window(lms, margin=0.25)
    assert (cx, cy) == (30, 60)
    assert side == pytest.approx(80 * 1.5)


def test_crop_square_geometry_and_padding():
    frame = np.zeros((100, 100, 3), np.uint8)
    frame[40:60, 40:60] = 255  # white square in the middle
    crop = crop_square(frame, np.array([50, 50, 40], np.float32), 40)
    assert crop.shape == (40, 40, 3)
    assert crop[20, 20].tolist() == [255, 255, 255] and crop[2, 2].tolist() == [0, 0, 0]
    # a window leaving the frame is filled by edge replication, not black
    edge = np.full((50, 50, 3), 7, np.uint8)
    out = crop_square(edge, np.array([0, 0, 40], np.float32), 20)
    assert (out == 7).all()


def test_to_crop_coords_matches_crop_square():
    frame = np.zeros((200, 300, 3), np.uint8)
    frame[120, 170] = 255
    window = np.array([160, 110, 64], np.float32)
    crop = crop_square(frame, window, 64)
    (x, y), = to_crop_coords(np.array([[170, 120]], np.float32), window, 64)
    assert crop[int(round(y)), int(round(x))].max() == 255


def test_tracker_keeps_identities_and_tolerates_misses():
    tr = FaceTracker(max_missed=2)
    a, b = box_face(0, 0, 50, 50), box_face(200, 0, 250, 50)
    assert tr.update([a, b]) == [0, 1]
    # both move a little, and come in the other order
    assert tr.update([box_face(205, 5, 255, 55), box_face(5, 5, 55, 55)]) == [1, 0]
    assert tr.update([box_face(8, 8, 58, 58)]) == [0]  # track 1 missed once
    assert tr.update([box_face(210, 8, 260, 58), box_face(10, 10, 60, 60)]) == [1, 0]  # and is back
    for _ in range(3):
        tr.update([box_face(10, 10, 60, 60)])
    assert tr.update([box_face(210, 8, 260, 58)]) == [2]  # gone too long: a new track
    assert tr.update([box_face(500, 500, 540, 540)]) == [3]


def test_tracker_follows_a_face_that_moved_without_overlap():
    tr = FaceTracker()
    tr.update([box_face(0, 0, 40, 40)])
    assert tr.update([box_face(30, 0, 70, 40)]) == [0]  # shifted by 3/4 of its size


def test_detector_finds_the_bundled_face():
    img = load_face_photo()
    with FaceDetector() as det:
        found = det.detect(img, 0.0)
        again = det.detect(img, 0.0)  # same time stamp: must not break VIDEO mode
    assert len(found) == 1 and len(again) == 1
    lms = found[0].landmarks
    assert lms.shape == (478, 2)
    x0, y0, x1, y1 = found[0].box
    # the astronaut's face is in the upper middle of the 512x512 photo
    assert 150 < x0 < x1 < 300 and 40 < y0 < y1 < 220


def test_detector_tracks_one_face_and_finds_one_that_enters():
    face = load_face_photo()[0:300, 75:375]  # (300, 300, 3) around the face: large enough for the detector
    alone = np.concatenate([face, np.full_like(face, 90)], 1)  # (300, 600, 3)
    pair = np.concatenate([face, face[:, ::-1]], 1)  # a second person enters on the right at frame 3
    frames = [alone] * 3 + [pair] * (faces.RESCAN_EVERY + 2)
    with FaceDetector(max_faces=4) as det:
        counts = [len(det.detect(f, k / 10)) for k, f in enumerate(frames)]
    assert counts[:3] == [1, 1, 1]
    first_pair = counts.index(2)  # found at the latest on the next rescan, and kept from then on
    assert 3 <= first_pair < 3 + faces.RESCAN_EVERY and set(counts[first_pair:]) == {2}
    with FaceDetector(max_faces=4, rescan_every=1) as det:  # looking on every frame: found at once
        assert [len(det.detect(f, k / 10)) for k, f in enumerate(frames)][3:] == [2] * (len(frames) - 3)
    with FaceDetector(max_faces=1) as det:  # one face asked for: one found
        assert {len(det.detect(f, k / 10)) for k, f in enumerate(frames)} == {1}


def test_tracked_landmarks_stay_near_fresh_detections_on_a_moving_face():
    """The single-face tracker against the IMAGE-mode landmarker on every frame of a moving face:
    within 3 % of the face size on average (0.7 % here, 2.5 % on the speed benchmark's clip; a tracker
    frozen at the first frame is 25 % off)."""
    import mediapipe as mp
    from mediapipe.tasks.python import vision

    from lda_model.data.animation import animate

    frames = animate(load_face_photo(), 24, seed=3, amplitude=2.0)[::2]  # (12, 512, 512, 3), every 2nd frame
    with FaceDetector(max_faces=1) as det:
        tracked = [det.detect(f, k / 15)[0].landmarks for k, f in enumerate(frames)]
        fresh_lm = vision.FaceLandmarker.create_from_options(det._options("IMAGE", 1))
        fresh = [fresh_lm.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(f)))
                 for f in frames]
        fresh_lm.close()
    errors = []
    for t, r in zip(tracked, fresh):
        ref = np.array([(p.x * 512, p.y * 512) for p in r.face_landmarks[0]], np.float32)
        errors.append(np.abs(t - ref).mean() / np.ptp(ref, 0).max())  # mean landmark error / face size
    assert np.mean(errors) < 0.03 and max(errors) < 0.06


def test_detector_on_an_empty_frame():
    with FaceDetector() as det:
        assert det.detect(np.zeros((240, 320, 3), np.uint8), 0.0) == []


def test_face_model_override(monkeypatch, tmp_path):
    monkeypatch.setenv("LDA_FACE_MODEL", str(tmp_path / "missing.task"))
    with pytest.raises(FaceModelError, match="missing file"):
        faces.face_model_path()
    monkeypatch.delenv("LDA_FACE_MODEL")
    assert faces.face_model_path().name == "face_landmarker.task"


def test_download_fallback_verifies_checksum(tmp_path):
    src = tmp_path / "served.task"
    src.write_bytes(b"model bytes")
    good = hashlib.sha256(b"model bytes").hexdigest()
    dest = tmp_path / "cache" / "face_landmarker.task"
    with pytest.raises(FaceModelError, match="checksum mismatch"):
        download_face_model(dest, url=src.as_uri(), sha256="0" * 64)
    assert not dest.exists() and not list(dest.parent.glob("*.part"))  # nothing half-written left
    assert download_face_model(dest, url=src.as_uri(), sha256=good).read_bytes() == b"model bytes"


def test_attention_by_region_sums_to_100_and_finds_a_mouth_only_map():
    from lda_model.inference.landmarks import LIPS_OUTER, REGION_NAMES, attention_by_region, describe_regions

    img = load_face_photo()
    with FaceDetector() as det:
        face = det.detect(img, 0.0)[0]
    window = crop_window(face.landmarks)
    size, g = 224, 14
    lms = to_crop_coords(face.landmarks, window, size)
    mouth = np.zeros((g, g))
    cx, cy = lms[LIPS_OUTER].mean(0) / (size / g)
    mouth[int(cy), int(cx)] = 1.0
    shares = attention_by_region(mouth, lms, size)
    assert set(shares) <= set(REGION_NAMES) and sum(shares.values()) == pytest.approx(100)
    assert next(iter(shares)) == "mouth" and describe_regions(shares).startswith("mouth ")
    flat = attention_by_region(np.ones((g, g)), lms, size)
    assert sum(flat.values()) == pytest.approx(100) and flat["background margin"] > flat["mouth"]  # by area
    # a level common to every patch is not attention: on top of one, the mouth still leads, as drawn
    assert attention_by_region(0.5 + 0.5 * mouth, lms, size) == pytest.approx(shares)
    assert next(iter(attention_by_region(0.1 + mouth, lms, size))) == "mouth"
