"""Cross-validate a training recipe over disjoint held-out people: per fold, a cache split, a
training run and its val / test evaluation; then one table of every held-out set.

    python -m tools.crossval --data cache/real_faces --out runs/cv --folds 0-4 --parallel 2 -- \\
        --preset lite --optimizer adamw --lr 1e-3 --weight-decay 0.01 --cosine --epochs 20

Everything after `--` is the recipe, handed to `python -m lda_model.train` unchanged; `--data`,
`--out`, `--threads` and `--resume` are set here. Fold F (`prepare --fold`, `splits.assign_splits`) holds out
its own block of people; on `real_faces` folds 0-4 hold out 148 of the 150 people, each once, and
fold 0 is the split the bundled checkpoints trained on. Fold F's cache is OUT/folds/F: its own
`index.json` next to a link to DATA/items, so no crop is copied. Its run is OUT/runs/F, trained with
`--resume` (rerun the same command to finish a cross-validation cut short: a finished run is not
trained again, an unfinished one continues from its last epoch) and its evaluations OUT/evals/F.SPLIT.json (`evaluate synthetic --seeds K --json`, the same
files `python -m tools.compare` reads). `--parallel P` runs P folds at a time, each on
`--threads` cores (on 2 cores: 2 folds of 1 thread, about 0.9 h for 20 lite epochs each).
Prints a markdown table (`--json`: the summary) and writes OUT/summary.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lda_model.data.prepare import split_index

SPLITS = ("val", "test")


def parse_folds(text: str) -> list[int]:
    """"0-4" -> [0, 1, 2, 3, 4]; "0,2,3" -> [0, 2, 3]. Sorted, without repeats."""
    folds: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        lo, sep, hi = part.partition("-")
        try:
            first, last = (int(lo), int(hi)) if sep else (int(part), int(part))
        except ValueError:
            raise ValueError(f"folds: {text!r} is not like 0-4 or 0,2,3") from None
        if first < 0 or last < first:
            raise ValueError(f"folds: {part!r} is not a range of folds counted from 0")
        folds.update(range(first, last + 1))
    return sorted(folds)


def make_fold_cache(data: Path, dest: Path, fold: int) -> Path:
    """Write fold `fold`'s cache at `dest`: the re-split index and a link to `data`'s crops."""
    index = json.loads((data / "index.json").read_text())
    resplit = split_index(index, fold)  # exactly what `prepare --resplit --fold F` writes
    dest.mkdir(parents=True, exist_ok=True)
    items = dest / "items"
    if not items.exists():
        items.symlink_to((data / "items").resolve(), target_is_directory=True)
    tmp = dest / "index.json.tmp"
    tmp.write_text(json.dumps(resplit, indent=1))
    tmp.replace(dest / "index.json")
    return dest


def set_row(fold: int, split: str, result: dict, clip_items: int) -> dict:
    """One held-out set's line of the table, from an `evaluate synthetic --json` result."""
    by_source = result.get("video_by_source", {})
    return {
        "fold": fold,
        "split": split,
        "items": result["items"],
        "clip_items": clip_items,
        "identities": result["identities"],
        "video_auc": result["video"]["auc"],
        "ci95": [result["video_auc_ci95"]["lo"], result["video_auc_ci95"]["hi"]] if "video_auc_ci95" in result else None,
        "clip_auc": by_source.get("clip", {}).get("auc"),
        "photo_auc": by_source.get("photo", {}).get("auc"),
    }


def summarize(rows: list[dict], target: float = 0.95) -> dict:
    """Mean, range and how many sets reach `target`, for the video AUC and for its clip and photo
    items apart (a set without clip or photo items is left out of that column)."""
    if not rows:
        raise ValueError("no held-out set to summarize")

    def stats(key: str) -> dict | None:
        vals = [r[key] for r in rows if r[key] is not None]
        if not vals:
            return None
        return {"mean": statistics.fmean(vals), "min": min(vals), "max": max(vals), "sets": len(vals),
                "at_target": sum(v >= target for v in vals)}

    return {"sets": len(rows), "people": sum(r["identities"] for r in rows), "target": target,
            "video_auc": stats("video_auc"), "clip_auc": stats("clip_auc"), "photo_auc": stats("photo_auc"),
            "rows": rows}


def fmt_auc(v: float | None) -> str:
    """An AUC as the tables print it: three decimals, or a dash where a set has none."""
    return "—" if v is None else f"{v:.3f}"


def format_table(summary: dict) -> str:
    f = fmt_auc
    lines = ["| held-out set | people | items (clips) | video AUC | 95 % interval (people) | clip items | photo items |",
             "|---|---|---|---|---|---|---|"]
    for r in summary["rows"]:
        ci = "—" if r["ci95"] is None else f"{r['ci95'][0]:.3f}–{r['ci95'][1]:.3f}"
        lines.append(f"| fold {r['fold']} {r['split']} | {r['identities']} | {r['items']} ({r['clip_items']}) | "
                     f"{f(r['video_auc'])} | {ci} | {f(r['clip_auc'])} | {f(r['photo_auc'])} |")
    for key, name in (("video_auc", "video AUC"), ("clip_auc", "clip items"), ("photo_auc", "photo items")):
        s = summary[key]
        if s:
            lines.append(f"\n{name}: mean {s['mean']:.3f} over {s['sets']} sets, {s['min']:.3f}–{s['max']:.3f}, "
                         f"{s['at_target']} of {s['sets']} at or above {summary['target']}")
    lines.append(f"\n{summary['sets']} held-out sets, {summary['people']} people")
    return "\n".join(lines)


def _run(cmd: list[str], log: Path, threads: int, stdout: Path | None = None) -> None:
    """Run a module in its own process on `threads` cores; stderr (and stdout, unless `stdout`
    is given) goes to `log`."""
    root = str(Path(__file__).resolve().parents[1])  # lda_model importable from any working directory
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONUNBUFFERED": "1", "PYTHONPATH": path}
    with open(log, "a") as err:
        if stdout is None:
            res = subprocess.run(cmd, stdout=err, stderr=subprocess.STDOUT, env=env)
        else:  # written aside and moved in place on success: a failed run leaves an earlier result intact
            tmp = stdout.with_name(stdout.name + ".part")
            with open(tmp, "w") as out:
                res = subprocess.run(cmd, stdout=out, stderr=err, env=env)
            if res.returncode == 0:
                tmp.replace(stdout)
    if res.returncode != 0:
        raise RuntimeError(f"{cmd[2]} failed (exit {res.returncode}); see {log}")


def run_fold(fold: int, data: Path, out: Path, recipe: list[str], threads: int, seeds: int) -> list[dict]:
    cache = make_fold_cache(data, out / "folds" / str(fold), fold)
    run, evals, logs = out / "runs" / str(fold), out / "evals", out / "logs"
    evals.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    py = [sys.executable, "-m"]
    _run(py + ["lda_model.train", *recipe, "--data", str(cache), "--out", str(run), "--threads", str(threads),
               "--resume"], logs / f"{fold}.train.log", threads)
    index = json.loads((cache / "index.json").read_text())
    rows = []
    for split in SPLITS:
        path = evals / f"{fold}.{split}.json"
        _run(py + ["lda_model.evaluate", "synthetic", "--data", str(cache), "--split", split, "--seeds", str(seeds),
                   "--weights", str(run / "best"), "--json"], logs / f"{fold}.{split}.log", threads, stdout=path)
        clips = sum(1 for it in index.values() if it["split"] == split and it["kind"] == "video")
        rows.append(set_row(fold, split, json.loads(path.read_text()), clips))
    return rows


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    recipe = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(prog="python -m tools.crossval", description=__doc__.split("\n\n")[0],
                                usage="%(prog)s --data CACHE --out DIR [options] -- TRAIN_RECIPE ...",
                                epilog="Everything after -- is the recipe, given to python -m lda_model.train as it is.")
    p.add_argument("--data", required=True, help="a cache written by python -m lda_model.data.prepare")
    p.add_argument("--out", required=True)
    p.add_argument("--folds", default="0-4", help="e.g. 0-4 (default) or 0,2")
    p.add_argument("--parallel", type=int, default=1, help="folds trained at a time")
    p.add_argument("--threads", type=int, default=None, help="cores per fold (default: all cores / --parallel)")
    p.add_argument("--seeds", type=int, default=3, help="forgery seeds per evaluation (default 3)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    for flag in ("--data", "--out", "--threads", "--resume"):
        if flag in recipe:
            p.error(f"{flag} after -- is set by crossval; give the recipe only")
    data, out = Path(args.data), Path(args.out)
    if not (data / "index.json").is_file():
        p.error(f"{data} has no index.json: not a prepare cache")
    try:
        folds = parse_folds(args.folds)
        index = json.loads((data / "index.json").read_text())
        for fold in folds:  # refuse an unfillable fold before any training
            split_index(index, fold)
    except ValueError as err:
        p.error(str(err))
    if args.parallel < 1:
        p.error("--parallel must be at least 1")
    threads = args.threads or max(1, (os.cpu_count() or 1) // args.parallel)
    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        jobs = [pool.submit(run_fold, f, data, out, recipe, threads, args.seeds) for f in folds]
        try:
            rows = [row for job in jobs for row in job.result()]
        except RuntimeError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
    summary = summarize(rows)
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary) if args.json else format_table(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
