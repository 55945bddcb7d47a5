"""The app's actions without the UI: limits, weights errors, the defect and condition experiments."""

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from app import service
from app.service import UserError
from lda_model.data.animation import animate, load_face_photo, write_video

ROOT = Path(__file__).resolve().parents[1]


def test_upload_limits(monkeypatch, face_clip, tmp_path):
    with pytest.raises(UserError, match="upload a video"):
        service.check_upload(None)
    with pytest.raises(UserError, match="no longer available"):
        service.check_upload(tmp_path / "gone.mp4")
    monkeypatch.setattr(service, "MAX_DURATION_S", 0.5)  # the clip lasts 0.96 s
    with pytest.raises(UserError, match="long; the limit is"):
        service.check_upload(face_clip)
    monkeypatch.setattr(service, "MAX_DURATION_S", 600)
    monkeypatch.setattr(service, "MAX_UPLOAD_MB", 0.001)
    with pytest.raises(UserError, match="MB; the limit is"):
        service.check_upload(face_clip)
    monkeypatch.setattr(service, "MAX_UPLOAD_MB", 200)
    monkeypatch.setattr(service, "MAX_FRAMES", 10)
    with pytest.raises(UserError, match="frames; the limit is"):
        service.check_upload(face_clip)


def test_unknown_weights_are_a_user_error():
    with pytest.raises(UserError, match="unknown weights source"):
        service.get_detector("no such thing!")


def test_defect_experiment_on_a_still(tiny_detector):
    from lda_model.inference.faces import FaceDetector, crop_square, crop_window, to_crop_coords

    img = load_face_photo()
    with FaceDetector() as det:
        face = det.detect(img, 0.0)[0]
    size = tiny_detector.config.backbone_size
    window = crop_window(face.landmarks)
    crops = np.repeat(crop_square(img, window, size)[None], 2, 0)  # fewer frames than n+1: padded
    r = service.defect_experiment(tiny_detector, crops, to_crop_coords(face.landmarks, window, size), "blur_mouth", 1.0)
    g = tiny_detector.config.grid_size
    assert r.diff.shape == (g, g) and r.cells.any() and 0 < r.chance < 1
    assert r.maps_before.shape == r.maps_after.shape == (tiny_detector.config.num_maps, g, g)
    assert not np.array_equal(r.original, r.tampered) and r.region.any()
    # the lab draws the post-hoc maps' change too: every map's change on the grid, and whether it rose
    assert set(r.other_diffs) == {"activations", "grad_cam", "hires_cam", "two_scale_cam"}
    assert all(d.shape == (g, g) for d in r.other_diffs.values())
    assert set(r.other_rises) == set(r.other_diffs) and all(isinstance(v, bool) for v in r.other_rises.values())
    with pytest.raises(UserError, match="needs a box"):
        service.defect_experiment(tiny_detector, crops, to_crop_coords(face.landmarks, window, size), "region", 1.0)


def test_condition_experiment_degrades_and_rescores(tiny_detector):
    size = tiny_detector.config.backbone_size
    face = np.ascontiguousarray(load_face_photo()[40:360, 100:420])  # the face, roughly
    crops = np.repeat(cv2.resize(face, (size, size))[None], 2, 0)  # fewer frames than n+1: padded
    for kind in service.CONDITIONS:
        r = service.condition_experiment(tiny_detector, crops, kind, 0.8)
        assert r.original.shape == r.degraded.shape == (size, size, 3)
        assert not np.array_equal(r.original, r.degraded)
        assert 0 <= r.score_before <= 1 and 0 <= r.score_after <= 1
        if kind == "dark":
            assert r.quality_after.brightness < 0.5 * r.quality_before.brightness
        else:
            assert r.quality_after.detail < r.quality_before.detail
    weak = service.condition_experiment(tiny_detector, crops, "dark", 0.1)
    strong = service.condition_experiment(tiny_detector, crops, "dark", 1.0)
    assert weak.score_before == strong.score_before  # the same original, scored the same
    assert strong.quality_after.brightness < weak.quality_after.brightness
    with pytest.raises(UserError, match="unknown condition"):
        service.condition_experiment(tiny_detector, crops, "swirl", 0.5)
    with pytest.raises(UserError, match="strength must be"):
        service.condition_experiment(tiny_detector, crops, "blur", 0.0)


def test_cli_leaves_no_temporary_files(tmp_path, face_clip, tiny_weights):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 100)
    env = {**os.environ, "TMPDIR": str(tmp)}
    res = subprocess.run([sys.executable, "-m", "lda_model.predict", str(face_clip), str(bad), "--weights",
                          str(tiny_weights), "--json", "--points", "3"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 1 and res.stdout.count("\n") == 1
    assert list(tmp.iterdir()) == []


def test_variant_scores_skip_missing_checkpoints(face_clip, monkeypatch, tiny_weights):
    monkeypatch.setattr(service, "bundled_weights", lambda: ["have"])
    monkeypatch.setattr(service, "analyze", lambda path, name, n: ("ran", path, name, n))
    out = service.variant_scores(str(face_clip), {"a": "have", "b": "not_bundled"}, 3)
    assert out == {"a": ("ran", str(face_clip), "have", 3), "b": None}


@pytest.mark.parametrize("points", [0, -3, service.MAX_POINTS + 1])
def test_analysis_points_out_of_range_are_a_user_error(face_clip, points):
    with pytest.raises(UserError, match="Analysis points must be between 1 and"):
        service.analyze(str(face_clip), "default", points)


def test_long_clip_rejected_before_decoding(tmp_path, monkeypatch):
    path = write_video(tmp_path / "long.avi", animate(load_face_photo(), 30, size=(64, 64)), fps=5.0)  # 6 s
    monkeypatch.setattr(service, "MAX_DURATION_S", 5)
    with pytest.raises(UserError, match="6 s long"):
        service.analyze(str(path), None)
