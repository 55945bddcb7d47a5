"""tools.crossval: fold parsing, fold caches, the summary table, and a one-fold run end to end."""

import json
import sys

import pytest

from tools.crossval import _run, format_table, main, make_fold_cache, parse_folds, summarize
from lda_model.data.prepare import split_index as fold_index

TINY = ["--set", "backbone_size=64", "--set", "attention_size=32", "--set", "embed_dim=16", "--set", "latent_dim=8",
        "--set", "num_modules=3"]


def test_parse_folds():
    assert parse_folds("0-4") == [0, 1, 2, 3, 4]
    assert parse_folds("3, 0,2") == [0, 2, 3]
    assert parse_folds("1,0-1") == [0, 1]
    for bad in ("a", "3-1", "-1", "1,,2"):
        with pytest.raises(ValueError, match="folds"):
            parse_folds(bad)


def held_out(index: dict) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for item in index.values():
        out.setdefault(item["split"], set()).add(item["identity"])
    return out


def test_fold_index_holds_out_disjoint_people(tiny_cache):
    index = json.loads((tiny_cache / "index.json").read_text())
    assert fold_index(index, 0) == index  # fold 0 is the cache's own split
    f0, f1 = held_out(fold_index(index, 0)), held_out(fold_index(index, 1))
    assert len(f1["val"]) == len(f1["test"]) == 1
    assert not (f0["val"] | f0["test"]) & (f1["val"] | f1["test"])
    assert {i["identity"] for i in index.values()} == f1["train"] | f1["val"] | f1["test"]
    with pytest.raises(ValueError, match="fold 2"):  # four clip people: two folds of two
        fold_index(index, 2)


def test_make_fold_cache_links_crops(tiny_cache, tmp_path):
    dest = make_fold_cache(tiny_cache, tmp_path / "f1", 1)
    assert (dest / "items").is_symlink() and sorted(p.name for p in (dest / "items").iterdir()) == sorted(
        p.name for p in (tiny_cache / "items").iterdir())
    again = make_fold_cache(tiny_cache, tmp_path / "f1", 1)  # a rerun keeps the link and rewrites the index
    assert json.loads((again / "index.json").read_text()) == fold_index(json.loads((tiny_cache / "index.json").read_text()), 1)


def row(fold, split, auc, clip, photo, people=15):
    return {"fold": fold, "split": split, "items": 20, "clip_items": 5, "identities": people, "video_auc": auc,
            "ci95": [auc - 0.05, min(1.0, auc + 0.05)], "clip_auc": clip, "photo_auc": photo}


def test_summarize_and_table():
    s = summarize([row(0, "val", 0.90, 1.0, 0.80), row(0, "test", 0.96, 0.95, None, people=13)])
    assert s["sets"] == 2 and s["people"] == 28
    assert s["video_auc"]["mean"] == pytest.approx(0.93) and s["video_auc"]["at_target"] == 1
    assert s["clip_auc"]["at_target"] == 2 and s["clip_auc"]["min"] == 0.95
    assert s["photo_auc"]["sets"] == 1  # a set without photo items is left out of that column
    table = format_table(s)
    assert "| fold 0 test | 13 | 20 (5) | 0.960 | 0.910–1.000 | 0.950 | — |" in table
    assert "video AUC: mean 0.930 over 2 sets, 0.900–0.960, 1 of 2 at or above 0.95" in table
    with pytest.raises(ValueError):
        summarize([])


@pytest.mark.slow
def test_crossval_one_fold_end_to_end(tiny_cache, tmp_path, capsys):
    recipe = ["--preset", "lite", "--epochs", "1", "--epoch-size", "8", "--val-size", "8", "--batch-size", "4",
              "--workers", "0", *TINY]
    out = tmp_path / "cv"
    assert main(["--data", str(tiny_cache), "--out", str(out), "--folds", "1", "--seeds", "1", "--json", "--", *recipe]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary == json.loads((out / "summary.json").read_text())
    assert [(r["fold"], r["split"]) for r in summary["rows"]] == [(1, "val"), (1, "test")]
    for r in summary["rows"]:
        result = json.loads((out / "evals" / f"1.{r['split']}.json").read_text())
        assert r["video_auc"] == result["video"]["auc"] and r["identities"] == result["identities"] == 1
    metrics = (out / "runs" / "1" / "metrics.jsonl").read_text()
    assert len(metrics.splitlines()) == 1
    # a rerun finds the run finished (it resumes, it does not train again) and evaluates it again
    assert main(["--data", str(tiny_cache), "--out", str(out), "--folds", "1", "--seeds", "1", "--", *recipe]) == 0
    assert (out / "runs" / "1" / "metrics.jsonl").read_text() == metrics
    assert "| fold 1 val | 1 |" in capsys.readouterr().out


def test_crossval_refuses_bad_arguments_before_training(tiny_cache, tmp_path, capsys):
    out = tmp_path / "cv"
    for args, message in ((["--folds", "2"], "fold 2"), (["--folds", "x"], "folds"),
                          (["--folds", "0", "--", "--out", "elsewhere"], "--out after --")):
        with pytest.raises(SystemExit) as exc:
            main(["--data", str(tiny_cache), "--out", str(out), *args])
        assert exc.value.code == 2 and message in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--data", str(tmp_path), "--out", str(out)])
    assert "not a prepare cache" in capsys.readouterr().err
    assert not out.exists()


def test_failed_evaluation_keeps_the_earlier_result(tmp_path):
    result = tmp_path / "0.val.json"
    result.write_text('{"earlier": true}')
    with pytest.raises(RuntimeError, match="failed"):
        _run([sys.executable, "-c", "import sys; print('partial'); sys.exit(4)"], tmp_path / "log", 1,
             stdout=result)
    assert json.loads(result.read_text()) == {"earlier": True}
    _run([sys.executable, "-c", "print('{\"new\": 1}')"], tmp_path / "log", 1, stdout=result)
    assert json.loads(result.read_text()) == {"new": 1}


def test_fold_split_keeps_a_label_files_fixed_splits():
    index = {f"c{i}": {"identity": f"p{i}", "kind": "video", "split": "train"} for i in range(20)}
    index["fake_y"] = {"identity": "y", "kind": "video", "split": "test", "split_fixed": True}
    index["real_y"] = {"identity": "y", "kind": "video", "split": "train", "split_fixed": True}
    for fold in (0, 1):
        resplit = fold_index(index, fold)
        assert resplit["fake_y"]["split"] == "test" and resplit["real_y"]["split"] == "train"
        assert sum(v["split"] != "train" for k, v in resplit.items() if k.startswith("c")) == 4
