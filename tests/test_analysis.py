import json

import numpy as np
import pytest

from lda_model.inference import pipeline as analysis
from lda_model.inference.pipeline import TrackCache, analyze_video, extract_faces
from lda_model.inference.faces import crop_square
from lda_model.data.animation import animate, load_face_photo, write_video
from lda_model.inference.video import VideoError, analysis_points, iter_frames


def test_extract_faces_one_track_same_window_crops(face_clip):
    faces = extract_faces(face_clip, clip_length=4, crop_size=64, num_points=5)
    assert list(faces.tracks) == [0] and faces.main_track == 0
    pts = faces.tracks[0]
    # points are planned for PLAN_LENGTH frames whatever n is, so all checkpoints see the same moments
    assert [p.index for p in pts] == analysis_points(24, analysis.PLAN_LENGTH, 5) == [0, 4, 9, 14, 18]
    p = pts[2]
    assert p.crops.shape == (4, 64, 64, 3) and p.landmarks.shape == (478, 2)
    # frames t..t+3 are all cut with the window fixed at frame t
    frames = {i: f for i, _, f in iter_frames(face_clip, [9, 10, 11, 12])}
    for k in range(4):
        np.testing.assert_array_equal(p.crops[k], crop_square(frames[9 + k], p.window, 64))
    assert p.time_s == pytest.approx(9 / 25)


def test_motion_shows_in_residuals_not_in_a_still(tmp_path):
    still = write_video(tmp_path / "still.avi", np.repeat(load_face_photo()[None], 6, 0))
    faces = extract_faces(still, clip_length=4, crop_size=64, num_points=1)
    crops = faces.tracks[0][0].crops.astype(int)
    assert np.abs(crops[1:] - crops[:-1]).mean() < 1.0  # only codec noise: the window does not jitter


def test_two_faces_two_tracks(tmp_path):
    img = load_face_photo()[:300, 60:460]
    frames = animate(np.concatenate([img, img[:, ::-1]], axis=1), 12, seed=1, amplitude=0.3)
    path = write_video(tmp_path / "two.mp4", frames)
    faces = extract_faces(path, clip_length=4, crop_size=48, num_points=4)
    assert len(faces.tracks) == 2
    lefts = [np.mean([p.box[0] for p in pts]) for pts in faces.tracks.values()]
    assert abs(lefts[0] - lefts[1]) > 200  # one on each side, never swapped
    for pts in faces.tracks.values():
        assert len(pts) == 4
        xs = [p.box[0] for p in pts]
        assert max(xs) - min(xs) < 100


def test_no_face_clip(tmp_path, tiny_detector):
    noise = np.random.default_rng(0).integers(0, 50, (8, 64, 64, 3), dtype=np.uint8)
    path = write_video(tmp_path / "noface.avi", noise)
    result = analyze_video(path, tiny_detector, weights="tiny")
    record = result.to_json()
    assert record["faces"] == 0 and record["fake_probability"] is None and record["label"] is None
    assert record["uncertain"] is None and record["spread"] is None
    assert "no face" in record["message"]


def test_too_short_clip(tmp_path, tiny_detector):
    path = write_video(tmp_path / "two_frames.avi", animate(load_face_photo(), 2))
    with pytest.raises(VideoError, match="needs at least 4"):
        analyze_video(path, tiny_detector)


def test_analyze_json_record(face_clip, tiny_detector):
    result = analyze_video(face_clip, tiny_detector, weights="tiny", num_points=6)
    rec = json.loads(json.dumps(result.to_json()))
    assert rec["faces"] == 1 and rec["main_track"] == 0
    assert 0 <= rec["fake_probability"] <= 1 and rec["label"] in ("REAL", "FAKE")
    assert rec["label"] == ("FAKE" if rec["fake_probability"] >= rec["threshold"] else "REAL")
    assert len(rec["frames"]) == 6
    lo, hi = rec["uncertain_band"]
    assert rec["uncertain"] == (lo <= rec["fake_probability"] < hi)
    result.threshold = 0.8  # the band follows the threshold
    assert result.uncertain_band == pytest.approx((0.65, 0.95))
    result.threshold = rec["threshold"]
    probs = [f["fake_probability"] for f in rec["frames"]]
    assert min(probs) - 1e-4 <= rec["spread"][0] <= rec["spread"][1] <= max(probs) + 1e-4
    assert rec["fake_probability"] == pytest.approx(np.mean([f["fake_probability"] for f in rec["frames"]]), abs=1e-5)
    f = rec["frames"][1]
    assert set(f) == {"index", "time_s", "track", "fake_probability", "box", "concentration"} and len(f["box"]) == 4
    g = tiny_detector.config.grid_size
    p = result.tracks[0][0]
    assert p.spatial_maps.shape == (4, g, g) and p.temporal_maps.shape == (4, 4, g, g)
    assert p.module_activation.shape == (g, g) and ((p.module_activation > 0) & (p.module_activation < 1)).all()


def test_cache_skips_decoding_for_another_checkpoint(face_clip, tiny_detector, monkeypatch):
    from lda_model import LDADetector

    cache = TrackCache()
    a = analyze_video(face_clip, tiny_detector, num_points=4, clip_length=6, cache=cache)
    calls = []
    monkeypatch.setattr(analysis, "extract_faces", lambda *a, **k: calls.append(1))
    other = LDADetector(tiny_detector.config.replace(num_frames=5, num_maps=2)).eval()
    b = analyze_video(face_clip, other, num_points=4, clip_length=6, cache=cache)
    assert calls == [] and len(cache) == 1
    assert [p.index for p in a.tracks[0]] == [p.index for p in b.tracks[0]]
    assert b.tracks[0][0].temporal_maps.shape[:2] == (2, 6)


def test_a_cache_hit_is_the_clip_asked_for(face_clip, tiny_detector, tmp_path):
    """The same bytes under another name (a second upload) are that file's analysis, not the first one's."""
    cache = TrackCache()
    first = analyze_video(face_clip, tiny_detector, num_points=3, cache=cache)
    copy = tmp_path / "clip (1).mp4"
    copy.write_bytes(face_clip.read_bytes())
    second = analyze_video(copy, tiny_detector, num_points=3, cache=cache)
    assert len(cache) == 1 and second.video == str(copy) and second.info.path == str(copy)
    assert first.video == str(face_clip)  # the first answer is untouched
    assert [p.fake_probability for p in first.tracks[0]] == [p.fake_probability for p in second.tracks[0]]


def test_time_limit(face_clip, tiny_detector):
    with pytest.raises(VideoError, match="time limit"):
        analyze_video(face_clip, tiny_detector, time_limit_s=0.0)
