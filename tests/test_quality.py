import json
import subprocess
import sys

import numpy as np
import pytest

from lda_model.inference.pipeline import analyze_video
from lda_model.inference.quality import REFERENCE_BRIGHTNESS, REFERENCE_DETAIL, FaceQuality, crop_measures, face_quality
from lda_model.data.animation import animate, load_face_photo, write_video
from tests.conftest import ROOT


def test_crop_measures_flat_and_textured():
    flat = np.full((128, 128, 3), 90, np.uint8)
    assert crop_measures(flat) == (pytest.approx(90.0), pytest.approx(0.0))
    stripes = np.zeros((128, 128, 3), np.uint8)
    stripes[:, ::2] = 255
    b, d = crop_measures(stripes)
    assert b == pytest.approx(127.5, abs=1) and d > 1e4
    # measured at 128 px whatever the crop size: a 256 px crop of a flat face is the same face
    assert crop_measures(np.full((256, 256, 3), 90, np.uint8)) == (pytest.approx(90.0), pytest.approx(0.0))


def test_face_quality_is_the_median_over_crops():
    crops = np.stack([np.full((64, 64, 3), v, np.uint8) for v in (10, 100, 200)])
    assert face_quality(crops).brightness == pytest.approx(100.0)
    with pytest.raises(ValueError, match="no crops"):
        face_quality([])


def test_notes_only_outside_the_reference():
    assert FaceQuality(brightness=REFERENCE_BRIGHTNESS + 1, detail=REFERENCE_DETAIL + 1).notes() == []
    dark = FaceQuality(brightness=REFERENCE_BRIGHTNESS - 1, detail=REFERENCE_DETAIL + 1).notes()
    assert len(dark) == 1 and "darker" in dark[0]
    both = FaceQuality(brightness=0.0, detail=0.0).notes()
    assert len(both) == 2 and "less fine detail" in both[1]
    # one rule: only a FAKE verdict is called a possible false alarm
    assert all("false alarm" in n for n in FaceQuality(brightness=0.0, detail=0.0).notes("FAKE"))
    assert not any("FAKE" in n or "false alarm" in n for n in FaceQuality(brightness=0.0, detail=0.0).notes("REAL"))


def test_a_dark_clip_gets_a_note_and_the_bright_one_not(tmp_path, tiny_detector):
    frames = animate(load_face_photo(), 12, size=(256, 256), seed=0)
    bright = analyze_video(write_video(tmp_path / "bright.avi", frames), tiny_detector, num_points=3).to_json()
    dark_frames = (frames * 0.3).astype(np.uint8)
    dark = analyze_video(write_video(tmp_path / "dark.avi", dark_frames), tiny_detector, num_points=3).to_json()
    assert bright["quality"]["brightness"] > REFERENCE_BRIGHTNESS
    assert not any("darker" in n for n in bright["quality"]["notes"])
    assert dark["faces"] == 1 and dark["quality"]["brightness"] < 0.5 * bright["quality"]["brightness"]
    assert any("darker" in n for n in dark["quality"]["notes"])
    json.dumps(dark)  # the record stays JSON


def test_predict_table_prints_the_notes(tmp_path, tiny_weights):
    dark = (animate(load_face_photo(), 12, size=(256, 256), seed=0) * 0.3).astype(np.uint8)
    path = write_video(tmp_path / "dark.avi", dark)
    res = subprocess.run([sys.executable, "-m", "lda_model.predict", str(path), "--weights", str(tiny_weights),
                          "--points", "3"], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stderr
    assert "note: The face is darker" in res.stdout
