"""compare.py: pairs two `evaluate synthetic --json` runs by item and seed, and refuses what cannot be paired."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lda_model.compare import CompareError, compare, pair_runs, read_run, verdict

ROOT = Path(__file__).resolve().parents[1]


def run(weights: str, scores: dict, split: str = "val", seeds=(0, 1)) -> dict:
    """An evaluate-like record: items p0..p7 (one identity each), a real and one fake per seed."""
    videos = []
    for i in range(8):
        videos.append({"item": f"p{i}", "identity": f"id{i}", "seed": None, "label": 0, "score": scores[(i, None)]})
        videos += [{"item": f"p{i}", "identity": f"id{i}", "seed": s, "label": 1, "score": scores[(i, s)]} for s in seeds]
    return {"weights": weights, "split": split, "seeds": list(seeds), "videos": videos}


def scores(rng, fake_shift: float, seeds=(0, 1)) -> dict:
    out = {(i, None): float(rng.random()) for i in range(8)}
    out.update({(i, s): float(rng.random() + fake_shift) for i in range(8) for s in seeds})
    return out


def test_pairs_by_item_and_seed_whatever_the_order():
    rng = np.random.default_rng(0)
    a, b = run("A", scores(rng, 1.0)), run("B", scores(rng, 0.0))
    b["videos"] = b["videos"][::-1]  # pairing must not depend on order
    labels, sa, sb, ids = pair_runs(a, b)
    assert len(labels) == 24 and sum(labels) == 16 and len(set(ids)) == 8
    back = {(v["item"], v["seed"]): v["score"] for v in b["videos"]}
    assert sb == [back[(v["item"], v["seed"])] for v in a["videos"]]
    res = compare(a, b, draws=300)
    assert res["auc_a"] == 1.0 and res["diff"] > 0 and res["lo"] > 0 and "A is better" in verdict(res)
    assert compare(a, a, draws=50)["diff"] == 0 and "no measurable" in verdict(compare(a, a, draws=50))


def test_refuses_runs_that_cannot_be_paired():
    rng = np.random.default_rng(1)
    a = run("A", scores(rng, 0.5))
    with pytest.raises(CompareError, match="splits"):
        pair_runs(a, run("B", scores(rng, 0.5), split="test"))
    with pytest.raises(CompareError, match="different items or forgery seeds"):
        pair_runs(a, run("B", scores(rng, 0.5, seeds=(0, 1, 2)), seeds=(0, 1, 2)))


def test_cli_prints_the_difference_and_exits_2_on_bad_files(tmp_path):
    rng = np.random.default_rng(2)
    pa, pb, old = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "old.json"
    pa.write_text("a log line\n" + json.dumps(run("A", scores(rng, 0.4))) + "\n")  # evaluate's JSON is the last line
    pb.write_text(json.dumps(run("B", scores(rng, 0.4))))
    old.write_text(json.dumps({"weights": "X", "split": "val", "video": {"auc": 0.9}}))  # before `videos` existed
    assert read_run(pa)["weights"] == "A"
    cmd = [sys.executable, "-m", "lda_model.compare"]
    res = subprocess.run(cmd + [str(pa), str(pb), "--draws", "100", "--json"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    rec = json.loads(res.stdout)
    assert rec["a"] == "A" and rec["b"] == "B" and rec["videos"] == 24 and rec["lo"] <= rec["diff"] <= rec["hi"]
    res = subprocess.run(cmd + [str(pa), str(pb), "--draws", "100"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0 and "A - B = " in res.stdout and "interval" in res.stdout
    for bad in (old, tmp_path / "missing.json"):
        res = subprocess.run(cmd + [str(pa), str(bad)], cwd=ROOT, capture_output=True, text=True)
        assert res.returncode == 2 and res.stderr.startswith("error: ") and "Traceback" not in res.stderr


def clips_run(weights: str, fake_shift: float, rng, skip: int | None = None) -> dict:
    """An `evaluate --labels` record: 6 real and 6 fake clips in two groups."""
    clips = [{"video": f"c{i}.mp4", "group": "g" + str(i % 2), "label": int(i >= 6),
              "score": float(rng.random() + fake_shift * (i >= 6))} for i in range(12) if i != skip]
    return {"weights": weights, "video": {}, "clips": clips, "skipped": []}


def test_pairs_detection_clips_by_group_and_name_and_refuses_mixed_or_unmatched():
    rng = np.random.default_rng(3)
    a, b = clips_run("A", 1.0, rng), clips_run("B", 0.0, rng)
    b["clips"] = b["clips"][::-1]
    labels, sa, sb, clusters = pair_runs(a, b)
    assert labels == [0] * 6 + [1] * 6 and len(set(clusters)) == 12  # every clip its own cluster
    res = compare(a, b, draws=300)
    assert res["seeds"] is None and res["clusters"] == 12 and res["auc_a"] == 1.0 and res["diff"] > 0
    with pytest.raises(CompareError, match="different clips"):
        pair_runs(a, clips_run("B", 0.0, rng, skip=3))  # a clip skipped in one run
    with pytest.raises(CompareError, match="synthetic"):
        pair_runs(a, run("S", scores(rng, 0.5)))
    broken = clips_run("B", 0.0, rng)
    del broken["clips"][0]["score"]
    with pytest.raises(CompareError, match="malformed"):
        pair_runs(a, broken)
