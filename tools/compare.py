"""Is checkpoint A better than checkpoint B, beyond the luck of which people or clips happen to be
held out?

    python -m lda_model.evaluate synthetic --data cache/real_faces --split val --seeds 3 --weights A --json > a.json
    python -m lda_model.evaluate synthetic --data cache/real_faces --split val --seeds 3 --weights B --json > b.json
    python -m tools.compare a.json b.json [--draws 2000] [--json]

Works on two `evaluate synthetic --json` outputs (video scores paired by item and forgery seed; the
split's identities are resampled) or two `evaluate --labels TSV --json` outputs (clips paired by
group and file name; each clip is resampled on its own). Both runs must cover the same videos. The
same resample serves both checkpoints (`metrics.paired_auc_difference`); it prints AUC(A) - AUC(B)
with its 95 % interval and the share of draws in which A scores higher. An interval that straddles 0
means these data cannot tell the two apart. It measures the sample, not the training: a rerun of one
recipe with another seed moves a checkpoint too (README, *Training seed*). Exit status 2 on files
that cannot be compared.

Two cross-validations (two recipes, `python -m tools.crossval`) are compared the same way, held-out
set by held-out set:

    python -m tools.compare runs/cv_a runs/cv_b [--json]

Each side is a crossval `--out` folder (its `evals/F.SPLIT.json`; an evaluation of a fold trained
elsewhere, e.g. a bundled checkpoint on fold 0, can be copied in under that name) or its `summary.json`.
Sets are paired by fold and split and must hold the same people. It prints every set's video AUC,
clip-item and photo-item AUC for A and B, and the mean of A - B with a Student-t interval over *folds*
(a fold's val and test share one training run, so the unit is the fold, not the set): this interval
counts the luck of training as well as that of the people, which one pair of checkpoints cannot.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from pathlib import Path

from tools.crossval import fmt_auc, set_row
from lda_model.evaluation.metrics import mean_interval, paired_auc_difference


class CompareError(ValueError):
    """Two evaluation files that cannot be paired (a clear message for the command line)."""


def read_run(path: str | Path) -> dict:
    """The last JSON line of an `evaluate [synthetic] --json` output (earlier lines may be logs)."""
    try:
        lines = [line for line in Path(path).read_text().splitlines() if line.strip().startswith("{")]
        run = json.loads(lines[-1]) if lines else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CompareError(f"{path}: not readable as evaluate's JSON output ({err})") from err
    if not isinstance(run, dict) or not ("videos" in run or "clips" in run):
        raise CompareError(f"{path}: no per-video scores; write it with `python -m lda_model.evaluate synthetic "
                           "... --json` or `python -m lda_model.evaluate --labels TSV ... --json` (this version or later)")
    return run


def scored_videos(run: dict) -> dict[tuple, tuple[int, float, str]]:
    """{key: (label, score, cluster)}: synthetic videos keyed by (item, seed) and clustered by identity
    (the seed is None for an item's real video); detection clips keyed by (group, file name), each its
    own cluster."""
    try:
        if "videos" in run:
            rows = [((v["item"], v["seed"]), (int(v["label"]), float(v["score"]), str(v["identity"])))
                    for v in run["videos"]]
        else:
            rows = [((c["group"], c["video"]), (int(c["label"]), float(c["score"]), f"{c['group']}/{c['video']}"))
                    for c in run["clips"]]
    except (KeyError, TypeError, ValueError) as err:
        raise CompareError(f"{run.get('weights')}: malformed per-video scores ({err!r})") from err
    out = dict(rows)
    if len(out) != len(rows):
        raise CompareError(f"{run.get('weights')}: two videos share one name; cannot pair them")
    return out


def pair_runs(a: dict, b: dict) -> tuple[list[int], list[float], list[float], list[str]]:
    """(labels, scores of A, scores of B, clusters), one entry per video both runs scored, in A's order."""
    if ("videos" in a) != ("videos" in b):
        raise CompareError("one file is `evaluate synthetic` output, the other `evaluate --labels` output")
    if a.get("split") != b.get("split"):
        raise CompareError(f"different splits: {a.get('split')!r} and {b.get('split')!r}")
    va, vb = scored_videos(a), scored_videos(b)
    if set(va) != set(vb):
        what = ("items or forgery seeds (use the same --data, --split, --seed, --seeds)" if "videos" in a
                else "clips (use the same --labels, --videos, --groups, --split; a clip skipped in one run counts)")
        raise CompareError(f"the two runs scored different {what}: A {len(va)} videos"
                           f"{', seeds ' + str(a.get('seeds')) if 'seeds' in a else ''}, B {len(vb)} videos"
                           f"{', seeds ' + str(b.get('seeds')) if 'seeds' in b else ''}, {len(set(va) ^ set(vb))} unmatched")
    if any(va[k][0] != vb[k][0] for k in va):
        raise CompareError("the two runs label one video differently")
    labels = [va[k][0] for k in va]
    return labels, [va[k][1] for k in va], [vb[k][1] for k in va], [va[k][2] for k in va]


def compare(a: dict, b: dict, draws: int = 2000, seed: int = 0) -> dict:
    labels, sa, sb, ids = pair_runs(a, b)
    out = paired_auc_difference(labels, sa, sb, ids, draws=draws, seed=seed)
    return {"a": a.get("weights"), "b": b.get("weights"), "split": a.get("split"), "seeds": a.get("seeds"),
            "videos": len(labels), "clusters": len(set(ids)), **out}


def verdict(res: dict) -> str:
    if math.isnan(res["lo"]):  # no resample held both classes
        return "no resample held both real and fake videos: nothing to compare"
    if res["lo"] > 0:
        return "A is better on these videos: the interval lies above 0"
    if res["hi"] < 0:
        return "B is better on these videos: the interval lies below 0"
    return "no measurable difference on these videos: the interval includes 0"


SET_KEYS = ("video_auc", "clip_auc", "photo_auc")
# Printed under a crossval verdict that excludes 0: each side is one training run per fold, and on real_faces
# `default`'s recipe rerun with --seed 1 came out "better" than itself (+0.012, +0.001 to +0.023 over 5 folds).
SEED_CAVEAT = ("each side is one training run per fold, and training luck can pass for a difference: "
               "rerun the recipe that leads with another --seed before adopting it")


def _set_row(fold: int, split: str, result: dict) -> dict:
    """Crossval's summary row of one held-out set, from its `evaluate synthetic --json` result (the clip
    items counted from the result: one real video per item)."""
    clips = result.get("video_by_source", {}).get("clip", {})
    return set_row(fold, split, result, clips.get("n", 0) - clips.get("n_fake", 0))


def read_sets(path: str | Path) -> dict[tuple[int, str], dict]:
    """{(fold, split): row} of one cross-validation: from a crossval `--out` folder (every
    `evals/F.SPLIT.json`) or from its `summary.json`."""
    path = Path(path)
    try:
        if path.is_dir():
            rows = {}
            for f in sorted((path / "evals").glob("*.json")):
                fold, _, split = f.stem.partition(".")
                if not fold.isdigit() or not split:
                    continue
                rows[(int(fold), split)] = _set_row(int(fold), split, read_run(f))
        else:
            summary = json.loads(path.read_text())
            rows = {(int(r["fold"]), str(r["split"])): r for r in summary["rows"]}
    except CompareError:
        raise
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise CompareError(f"{path}: not a crossval --out folder or summary.json ({err!r})") from err
    if not rows:
        raise CompareError(f"{path}: no held-out set (no evals/F.SPLIT.json, no rows)")
    return rows


def is_crossval(path: str | Path) -> bool:
    """A crossval `--out` folder or a summary.json (anything else is read as one evaluation)."""
    path = Path(path)
    if path.is_dir():
        return True
    try:
        return "rows" in json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError):
        return False


def _set_order(key: tuple[int, str]) -> tuple:
    """A fold's val before its test, as crossval prints them."""
    return key[0], {"val": 0, "test": 1}.get(key[1], 2), key[1]


def _signed(d: float) -> str:
    """+0.012 / -0.012; a difference that rounds to zero prints +0.000, not -0.000."""
    return f"{d:+.3f}".replace("-0.000", "+0.000")


def compare_sets(a: dict[tuple[int, str], dict], b: dict[tuple[int, str], dict], level: float = 0.95) -> dict:
    """A - B over the held-out sets both cross-validations evaluated. For each of `SET_KEYS`: the per-set
    differences, the mean over folds of each fold's mean difference with its t-interval (`mean_interval`;
    the sets of one fold share a training run), and how many sets A is ahead on, level with (|A - B| <
    0.0005, equal as printed) or behind. `by_split`: the mean video AUC difference per split."""
    common = sorted(set(a) & set(b), key=_set_order)
    if not common:
        raise CompareError(f"no held-out set in common: A has {sorted(a)}, B has {sorted(b)}")
    for key in common:
        ra, rb = a[key], b[key]
        if (ra.get("identities"), ra.get("items")) != (rb.get("identities"), rb.get("items")):
            raise CompareError(f"fold {key[0]} {key[1]}: {ra.get('identities')} people / {ra.get('items')} items in A, "
                               f"{rb.get('identities')} / {rb.get('items')} in B; not the same held-out set")
    sets = [{"fold": f, "split": sp, **{f"{k}_a": a[(f, sp)].get(k) for k in SET_KEYS},
             **{f"{k}_b": b[(f, sp)].get(k) for k in SET_KEYS}} for f, sp in common]
    out: dict = {"sets": sets, "only_a": sorted(set(a) - set(b), key=_set_order),
                 "only_b": sorted(set(b) - set(a), key=_set_order), "level": level}
    for k in SET_KEYS:
        diffs = {(s["fold"], s["split"]): s[f"{k}_a"] - s[f"{k}_b"] for s in sets
                 if s[f"{k}_a"] is not None and s[f"{k}_b"] is not None}
        if not diffs:
            out[k] = None
            continue
        by_fold: dict[int, list[float]] = {}
        for (fold, _), d in diffs.items():
            by_fold.setdefault(fold, []).append(d)
        paired = [s for s in sets if (s["fold"], s["split"]) in diffs]
        out[k] = {"mean_a": statistics.fmean(s[f"{k}_a"] for s in paired),
                  "mean_b": statistics.fmean(s[f"{k}_b"] for s in paired),
                  "diff": mean_interval([statistics.fmean(v) for v in by_fold.values()], level),
                  "sets": len(diffs), "folds": len(by_fold),
                  "ahead": sum(d >= 0.0005 for d in diffs.values()), "level": sum(abs(d) < 0.0005 for d in diffs.values()),
                  "behind": sum(d <= -0.0005 for d in diffs.values())}
    out["by_split"] = {sp: statistics.fmean(s["video_auc_a"] - s["video_auc_b"] for s in sets if s["split"] == sp)
                       for sp in sorted({sp for _, sp in common})}
    return out


def format_sets(res: dict, name_a: str, name_b: str) -> str:
    f = fmt_auc
    lines = [f"A {name_a}", f"B {name_b}", "",
             "| held-out set | video AUC A / B | A - B | clip items A / B | photo items A / B |", "|---|---|---|---|---|"]
    for s in res["sets"]:
        lines.append(f"| fold {s['fold']} {s['split']} | {f(s['video_auc_a'])} / {f(s['video_auc_b'])} | "
                     f"{_signed(s['video_auc_a'] - s['video_auc_b'])} | {f(s['clip_auc_a'])} / {f(s['clip_auc_b'])} | "
                     f"{f(s['photo_auc_a'])} / {f(s['photo_auc_b'])} |")
    lines.append("")
    for k, name in (("video_auc", "video AUC"), ("clip_auc", "clip items"), ("photo_auc", "photo items")):
        r = res[k]
        if r is None:
            continue
        d = r["diff"]
        ci = ("no interval from one fold" if r["folds"] < 2 else
              f"{int(res['level'] * 100)} % t-interval over {r['folds']} folds [{_signed(d['lo'])}, {_signed(d['hi'])}]")
        lines.append(f"{name}: A {r['mean_a']:.3f}, B {r['mean_b']:.3f} over {r['sets']} sets; A - B = {_signed(d['mean'])}, "
                     f"{ci}; A ahead on {r['ahead']}, level on {r['level']}, behind on {r['behind']}")
    lines.append("video AUC, A - B by split: " + ", ".join(f"{sp} {_signed(v)}" for sp, v in res["by_split"].items()))
    for side, missing in (("A", res["only_a"]), ("B", res["only_b"])):
        if missing:
            lines.append(f"only in {side} (left out): " + ", ".join(f"fold {fo} {sp}" for fo, sp in missing))
    d = res["video_auc"]["diff"]
    if res["video_auc"]["folds"] < 2:
        lines.append("one fold: no interval, so nothing to conclude")
    else:
        lines.append(verdict({"lo": d["lo"], "hi": d["hi"]}).replace("these videos", "these held-out sets"))
        if d["lo"] > 0 or d["hi"] < 0:
            lines.append(SEED_CAVEAT)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.compare", description=__doc__.split("\n\n")[0])
    p.add_argument("a", help="`evaluate synthetic --json` or `evaluate --labels TSV --json` output of checkpoint A, "
                   "or a crossval --out folder / summary.json of recipe A")
    p.add_argument("b", help="the same for checkpoint (or recipe) B, over the same videos (held-out sets)")
    p.add_argument("--draws", type=int, default=2000, help="bootstrap resamples (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the resampling (default 0)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if args.draws < 1:
        p.error("--draws must be at least 1")
    try:
        if is_crossval(args.a) or is_crossval(args.b):
            res = compare_sets(read_sets(args.a), read_sets(args.b))
            print(json.dumps(res) if args.json else format_sets(res, args.a, args.b))
            return 0
        res = compare(read_run(args.a), read_run(args.b), draws=args.draws, seed=args.seed)
    except CompareError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(res))
    else:
        what = f"{res['clusters']} identities" if res["seeds"] is not None else "each clip on its own"
        print(f"{res['split'] or 'all clips'}: {res['videos']} videos, resampling {what}"
              + (f", forgery seeds {res['seeds']}" if res["seeds"] is not None else ""))
        print(f"A {res['a']}: video AUC {res['auc_a']:.3f}")
        print(f"B {res['b']}: video AUC {res['auc_b']:.3f}")
        print(f"A - B = {res['diff']:+.3f}, {int(res['level'] * 100)} % interval [{res['lo']:+.3f}, {res['hi']:+.3f}] "
              f"over {res['draws']} resamples; A higher in {res['a_better']:.0%} of them")
        print(verdict(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
