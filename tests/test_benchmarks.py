import json

import cv2
import numpy as np
import pytest

from benchmarks.degradations import CONDITIONS, apply_condition, main as degradations_main, summarize
from lda_model.data.animation import load_face_photo


def detail(img: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var())


def test_apply_condition_does_what_each_condition_says():
    face = np.ascontiguousarray(load_face_photo()[:240, :320])  # a 240p frame: 480p sizes halve
    rng = np.random.default_rng(0)
    out = {name: apply_condition(face, kind, amount, rng) for name, (kind, amount) in CONDITIONS.items()}
    for img in out.values():
        assert img.shape == face.shape and img.dtype == np.uint8
    assert np.array_equal(out["clean"], face)
    assert detail(out["blur 2 px"]) < detail(out["blur 1 px"]) < detail(face)
    assert detail(out["low-res 120p"]) < detail(face)
    assert np.array_equal(out["low-res 240p"], face)  # already 240p: nothing to drop
    big = np.ascontiguousarray(load_face_photo()[:480, :480])
    assert detail(apply_condition(big, "resample", 240.0, rng)) < 0.8 * detail(big)
    assert detail(out["sharpened"]) > detail(face)
    assert out["dark x0.5"].mean() == pytest.approx(face.mean() * 0.5, abs=1.0)
    assert 0 < np.abs(out["noise 4/255"].astype(int) - face).mean() < 6
    with pytest.raises(ValueError, match="unknown degradation"):
        apply_condition(face, "swirl", 1.0, rng)


def test_summarize_counts_false_alarms_and_changes():
    rows = [{"scores": {"clean": 0.2, "blur 1 px": 0.6, "dark x0.5": 0.7}, "flagged": {"blur 1 px": True}},
            {"scores": {"clean": 0.4, "blur 1 px": None, "dark x0.5": 0.3}}]
    s = summarize(rows, threshold=0.5)
    assert s["clean"] == {"clips": 2, "mean_fake_probability": 0.3, "false_alarm_rate": 0.0, "mean_change": 0.0,
                          "flagged_rate": 0.0, "unflagged_false_alarms": 0}
    assert s["blur 1 px"] == {"clips": 1, "mean_fake_probability": 0.6, "false_alarm_rate": 1.0, "mean_change": 0.4,
                              "flagged_rate": 1.0, "unflagged_false_alarms": 0}
    assert s["dark x0.5"]["false_alarm_rate"] == 0.5 and s["dark x0.5"]["unflagged_false_alarms"] == 1
    assert s["JPEG q30"]["clips"] == 0 and s["JPEG q30"]["mean_fake_probability"] is None


def test_degradations_end_to_end_on_a_clip_folder(face_clip, tiny_weights, tmp_path, capsys):
    folder = tmp_path / "clips"
    folder.mkdir()
    (folder / "astronaut.mp4").write_bytes(face_clip.read_bytes())
    (folder / "broken.mp4").write_bytes(b"not a video")  # skipped with a message, the rest still runs
    assert degradations_main(["--videos", str(folder), "--weights", str(tiny_weights), "--frames", "12",
                              "--points", "2", "--json"]) == 0
    captured = capsys.readouterr()
    assert "skipped broken.mp4" in captured.err
    lines = [json.loads(x) for x in captured.out.splitlines()]
    row, summary = lines[0], lines[-1]["summary"]
    assert row["video"] == "astronaut.mp4" and set(row["scores"]) == set(CONDITIONS) == set(row["flagged"])
    assert row["flagged"]["dark x0.5"] is not None
    assert all(0.0 <= v <= 1.0 for v in row["scores"].values() if v is not None)
    assert summary["clips"] == 1 and summary["conditions"]["clean"]["mean_change"] == 0.0
    empty = tmp_path / "empty"
    empty.mkdir()
    assert degradations_main(["--videos", str(empty), "--weights", str(tiny_weights)]) == 2


def test_batch_benchmark_prints_both_rates(tiny_weights, capsys):
    from benchmarks.batch import main

    assert main(["--clips", "2", "--seconds", "0.5", "--points", "2", "--weights", str(tiny_weights), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["clips"] == 2 and out["sequential_s"] > 0 and out["batch_s"] > 0
    assert out["batch_clips_per_hour"] == round(3600 * 2 / out["batch_s"])
