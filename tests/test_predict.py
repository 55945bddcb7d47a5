import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lda_model.data.animation import write_video

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, timeout=180):
    return subprocess.run([sys.executable, "-m", "lda_model.predict", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def test_json_per_clip(face_clip, tiny_weights, tmp_path):
    noface = write_video(tmp_path / "no face here.avi", np.zeros((6, 48, 48, 3), np.uint8))
    res = run_cli(face_clip, noface, "--weights", tiny_weights, "--json", "--points", "4")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 2
    rec, empty = map(json.loads, lines)
    assert rec["video"] == str(face_clip) and rec["faces"] == 1 and rec["label"] in ("REAL", "FAKE")
    assert rec["weights"] == str(tiny_weights) and rec["threshold"] == 0.5
    assert {"index", "time_s", "track", "fake_probability", "box", "concentration"} == set(rec["frames"][0])
    assert empty["faces"] == 0 and empty["fake_probability"] is None and empty["message"]
    assert "Traceback" not in res.stderr


def test_table_output(face_clip, tiny_weights):
    res = run_cli(face_clip, "--weights", tiny_weights, "--points", "3", "--threshold", "0.0")
    assert res.returncode == 0, res.stderr
    assert "FAKE  fake probability" in res.stdout  # threshold 0: every score is FAKE


def run_main(capfd, *args) -> tuple[int, str, str]:
    """The CLI in this process (the error paths need no fresh interpreter): exit status, stdout, stderr.
    An exception escaping main() fails the test, as a traceback on the command line would."""
    from lda_model.predict import main

    try:
        code = main([str(a) for a in args])
    except SystemExit as exit_:  # argparse's usage errors
        code = exit_.code
    out, err = capfd.readouterr()
    return code, out, err


@pytest.mark.parametrize("content", [None, b"", b"\x00\x01garbage" * 100, b"plain text\n"])
def test_unreadable_files_one_line_error(tmp_path, tiny_weights, content, capfd):
    path = tmp_path / "bad clip ü.mp4"
    if content is not None:
        path.write_bytes(content)
    code, out, err = run_main(capfd, path, "--weights", tiny_weights, "--json")
    assert code == 1
    assert out == ""
    err_lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(err_lines) == 1 and str(path) in err_lines[0]


def test_bad_weights_source(face_clip, capfd):
    code, _, err = run_main(capfd, face_clip, "--weights", "not a source!")
    assert code == 2 and err.startswith("error: unknown weights source")


def test_expand_videos_takes_folders_and_globs(tmp_path, capsys):
    from lda_model.predict import expand_videos, main

    for name in ("b.mp4", "a.webm", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert expand_videos([str(tmp_path)]) == [str(tmp_path / "a.webm"), str(tmp_path / "b.mp4")]
    assert expand_videos([str(tmp_path / "*.mp4")]) == [str(tmp_path / "b.mp4")]
    assert expand_videos(["missing.mp4"]) == ["missing.mp4"]  # reported later as an unreadable file
    assert main([str(tmp_path / "*.avi")]) == 2
    assert "no video files matched" in capsys.readouterr().err


def test_batch_keeps_order_and_reports_each_failure_alone(tmp_path, tiny_weights, face_clip):
    import shutil

    shutil.copy(face_clip, tmp_path / "a.mp4")
    (tmp_path / "b.mp4").write_bytes(b"not a video")
    shutil.copy(face_clip, tmp_path / "c.mp4")
    res = subprocess.run([sys.executable, "-m", "lda_model.predict", str(tmp_path), "--weights", str(tiny_weights),
                          "--points", "2", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 1  # one clip failed, the others were analysed
    records = [json.loads(line) for line in res.stdout.splitlines()]
    assert [os.path.basename(r["video"]) for r in records] == ["a.mp4", "c.mp4"]
    assert records[0]["fake_probability"] == records[1]["fake_probability"]  # the same clip, the same score
    assert res.stderr.count("error:") == 1 and "b.mp4" in res.stderr


@pytest.mark.parametrize("points", ["0", "-2", "two"])
def test_points_below_one_is_a_usage_error(face_clip, points, capfd):
    code, out, err = run_main(capfd, face_clip, "--points", points)
    assert code == 2 and out == "" and "argument --points" in err
