"""compare.py: pairs two `evaluate synthetic --json` runs by item and seed, and refuses what cannot be paired."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tools.compare import CompareError, compare, pair_runs, read_run, verdict

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


@pytest.mark.slow
def test_cli_prints_the_difference_and_exits_2_on_bad_files(tmp_path):
    rng = np.random.default_rng(2)
    pa, pb, old = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "old.json"
    pa.write_text("a log line\n" + json.dumps(run("A", scores(rng, 0.4))) + "\n")  # evaluate's JSON is the last line
    pb.write_text(json.dumps(run("B", scores(rng, 0.4))))
    old.write_text(json.dumps({"weights": "X", "split": "val", "video": {"auc": 0.9}}))  # before `videos` existed
    assert read_run(pa)["weights"] == "A"
    cmd = [sys.executable, "-m", "tools.compare"]
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


def cv_row(fold, split, auc, clip=1.0, photo=0.9, people=15, items=20):
    return {"fold": fold, "split": split, "items": items, "clip_items": 5, "identities": people, "video_auc": auc,
            "ci95": None, "clip_auc": clip, "photo_auc": photo}


def test_compare_sets_pairs_held_out_sets_and_takes_the_fold_as_the_unit():
    from tools.compare import SEED_CAVEAT, compare_sets, format_sets

    a = {(f, s): cv_row(f, s, auc) for (f, s), auc in
         {(0, "val"): 0.92, (0, "test"): 0.95, (1, "val"): 0.94, (1, "test"): 0.90, (2, "val"): 0.93, (2, "test"): 0.91,
          (3, "val"): 0.88}.items()}
    b = {(f, s): cv_row(f, s, auc, photo=None if f == 2 else 0.85) for (f, s), auc in
         {(0, "val"): 0.90, (0, "test"): 0.91, (1, "val"): 0.94, (1, "test"): 0.92, (2, "val"): 0.9302,
          (2, "test"): 0.89}.items()}
    res = compare_sets(a, b)
    assert [(s["fold"], s["split"]) for s in res["sets"]] == [(0, "val"), (0, "test"), (1, "val"), (1, "test"),
                                                               (2, "val"), (2, "test")]
    assert res["only_a"] == [(3, "val")] and res["only_b"] == []
    assert compare_sets(b, a)["only_b"] == [(3, "val")]
    more = {**a, (3, "test"): cv_row(3, "test", 0.9)}
    assert compare_sets(b, more)["only_b"] == [(3, "val"), (3, "test")]  # a fold's val before its test
    v = res["video_auc"]
    # per fold: (0.02 + 0.04) / 2, (0 - 0.02) / 2, (-0.0002 + 0.02) / 2 -> mean over 3 folds, not 6 sets
    per_fold = [0.03, -0.01, 0.0099]
    assert v["folds"] == 3 and v["sets"] == 6 and v["diff"]["n"] == 3
    assert v["diff"]["mean"] == pytest.approx(np.mean(per_fold))
    assert v["diff"]["hi"] - v["diff"]["mean"] == pytest.approx(4.302653 * np.std(per_fold, ddof=1) / np.sqrt(3), rel=1e-5)
    assert (v["ahead"], v["level"], v["behind"]) == (3, 2, 1)  # 0.9300 vs 0.9302 prints level
    assert v["mean_a"] == pytest.approx(np.mean([0.92, 0.95, 0.94, 0.90, 0.93, 0.91]))
    assert res["photo_auc"]["sets"] == 4 and res["photo_auc"]["folds"] == 2  # fold 2 has no photo AUC in B
    assert res["by_split"]["val"] == pytest.approx((0.02 + 0 - 0.0002) / 3)
    text = format_sets(res, "A", "B")
    assert "| fold 0 val | 0.920 / 0.900 | +0.020 | 1.000 / 1.000 | 0.900 / 0.850 |" in text
    assert "| fold 2 val | 0.930 / 0.930 | +0.000 |" in text  # -0.0002 prints without a minus sign
    assert "t-interval over 3 folds" in text and "only in A (left out): fold 3 val" in text
    assert "no measurable difference on these held-out sets" in text
    better = {k: {**r, "video_auc": r["video_auc"] + 0.03 + 0.001 * k[0]} for k, r in b.items()}
    text = format_sets(compare_sets(better, b), "A", "B")
    assert "A is better on these held-out sets" in text and SEED_CAVEAT in text
    assert SEED_CAVEAT not in format_sets(res, "A", "B")  # no difference found: nothing to rerun
    one = format_sets(compare_sets({(0, "val"): cv_row(0, "val", 0.95)}, {(0, "val"): cv_row(0, "val", 0.90)}), "A", "B")
    assert "no interval from one fold" in one and "one fold: no interval, so nothing to conclude" in one


def test_compare_sets_refuses_other_people_or_nothing_in_common():
    from tools.compare import compare_sets

    a = {(0, "val"): cv_row(0, "val", 0.9)}
    with pytest.raises(CompareError, match="not the same held-out set"):
        compare_sets(a, {(0, "val"): cv_row(0, "val", 0.9, people=14)})
    with pytest.raises(CompareError, match="no held-out set in common"):
        compare_sets(a, {(1, "val"): cv_row(1, "val", 0.9)})


def synthetic_result(split: str, auc: float) -> dict:
    """An `evaluate synthetic --json` record as crossval stores it (the fields a held-out set's row reads)."""
    return {"weights": "w", "split": split, "items": 20, "identities": 15, "seeds": [0, 1, 2], "videos": [],
            "video": {"auc": auc}, "video_auc_ci95": {"lo": auc - 0.05, "hi": 1.0},
            "video_by_source": {"clip": {"auc": 1.0, "n": 20, "n_fake": 15}, "photo": {"auc": auc - 0.02}}}


@pytest.mark.slow
def test_cli_compares_a_crossval_folder_with_a_summary(tmp_path):
    from tools.crossval import set_row, summarize

    evals = tmp_path / "cv_a" / "evals"
    evals.mkdir(parents=True)
    for fold, split, auc in ((0, "val", 0.93), (0, "test", 0.95), (1, "val", 0.96), (1, "test", 0.90)):
        (evals / f"{fold}.{split}.json").write_text("log\n" + json.dumps(synthetic_result(split, auc)) + "\n")
    (evals / "1.val.json.part").write_text("unfinished")  # crossval's temporary file is not a set
    rows = [set_row(f, s, synthetic_result(s, auc), 5) for f, s, auc in ((0, "val", 0.90), (0, "test", 0.91),
                                                                      (1, "val", 0.95), (1, "test", 0.92))]
    summary = tmp_path / "summary.json"
    summary.write_text(json.dumps(summarize(rows)))
    cmd = [sys.executable, "-m", "tools.compare", str(tmp_path / "cv_a"), str(summary)]
    res = subprocess.run(cmd + ["--json"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    rec = json.loads(res.stdout)
    assert rec["video_auc"]["diff"]["mean"] == pytest.approx(((0.03 + 0.04) / 2 + (0.01 - 0.02) / 2) / 2)
    assert rec["clip_auc"]["level"] == 4 and rec["video_auc"]["sets"] == 4
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0 and "| fold 1 test | 0.900 / 0.920 | -0.020 |" in res.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    res = subprocess.run(cmd[:3] + [str(empty), str(summary)], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 2 and res.stderr.startswith("error: ") and "no held-out set" in res.stderr
