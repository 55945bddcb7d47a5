"""Is checkpoint A better than checkpoint B on held-out synthesized forgeries, beyond the luck of
which people happen to be held out?

    python -m lda_model.evaluate synthetic --data cache/real_faces --split val --seeds 3 --weights A --json > a.json
    python -m lda_model.evaluate synthetic --data cache/real_faces --split val --seeds 3 --weights B --json > b.json
    python -m lda_model.compare a.json b.json [--draws 2000] [--json]

Pairs the two runs' video scores by item and forgery seed (both must cover the same items and
seeds), then resamples the split's identities with replacement, the same draw for both checkpoints
(`metrics.paired_auc_difference`), and prints AUC(A) - AUC(B) with its 95 % interval and the share
of draws in which A scores higher. An interval that straddles 0 means this split cannot tell the two
apart. It measures the people, not the training: a rerun of one recipe with another seed moves a
checkpoint too (README, *Training seed*). Exit status 2 on files that cannot be compared.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .metrics import paired_auc_difference


class CompareError(ValueError):
    """Two evaluation files that cannot be paired (a clear message for the command line)."""


def read_run(path: str | Path) -> dict:
    """The last JSON line of an `evaluate synthetic --json` output (earlier lines may be logs)."""
    try:
        lines = [line for line in Path(path).read_text().splitlines() if line.strip().startswith("{")]
        run = json.loads(lines[-1]) if lines else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CompareError(f"{path}: not readable as evaluate's JSON output ({err})") from err
    if not isinstance(run, dict) or "videos" not in run:
        raise CompareError(f"{path}: no per-video scores; write it with "
                           "`python -m lda_model.evaluate synthetic ... --json` (this version or later)")
    return run


def pair_runs(a: dict, b: dict) -> tuple[list[int], list[float], list[float], list[str]]:
    """(labels, scores of A, scores of B, identities), one entry per (item, seed) video, in A's order."""
    if a.get("split") != b.get("split"):
        raise CompareError(f"different splits: {a.get('split')!r} and {b.get('split')!r}")
    key = lambda v: (v["item"], v["seed"])  # noqa: E731 - the seed is None for an item's real video
    by_key = {key(v): v for v in b["videos"]}
    if len(by_key) != len(b["videos"]) or {key(v) for v in a["videos"]} != set(by_key):
        raise CompareError("the two runs scored different items or forgery seeds "
                           f"(A: seeds {a.get('seeds')}, {len(a['videos'])} videos; "
                           f"B: seeds {b.get('seeds')}, {len(b['videos'])} videos): use the same --data, --split, --seed, --seeds")
    labels, sa, sb, ids = [], [], [], []
    for v in a["videos"]:
        w = by_key[key(v)]
        labels.append(int(v["label"]))
        sa.append(float(v["score"]))
        sb.append(float(w["score"]))
        ids.append(str(v["identity"]))
    return labels, sa, sb, ids


def compare(a: dict, b: dict, draws: int = 2000, seed: int = 0) -> dict:
    labels, sa, sb, ids = pair_runs(a, b)
    out = paired_auc_difference(labels, sa, sb, ids, draws=draws, seed=seed)
    return {"a": a.get("weights"), "b": b.get("weights"), "split": a.get("split"), "seeds": a.get("seeds"),
            "videos": len(labels), "identities": len(set(ids)), **out}


def verdict(res: dict) -> str:
    if not res["lo"] == res["lo"]:  # nan: no resample held both classes
        return "no resample held both real and fake videos: nothing to compare"
    if res["lo"] > 0:
        return "A is better on this split: the interval lies above 0"
    if res["hi"] < 0:
        return "B is better on this split: the interval lies below 0"
    return "no measurable difference on this split: the interval includes 0"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m lda_model.compare", description=__doc__.split("\n\n")[0])
    p.add_argument("a", help="`evaluate synthetic --json` output of checkpoint A")
    p.add_argument("b", help="the same for checkpoint B (same --data, --split, --seed, --seeds)")
    p.add_argument("--draws", type=int, default=2000, help="bootstrap resamples of the identities (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the resampling (default 0)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if args.draws < 1:
        p.error("--draws must be at least 1")
    try:
        res = compare(read_run(args.a), read_run(args.b), draws=args.draws, seed=args.seed)
    except CompareError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(res))
    else:
        print(f"{res['split']}: {res['identities']} identities, {res['videos']} videos, forgery seeds {res['seeds']}")
        print(f"A {res['a']}: video AUC {res['auc_a']:.3f}")
        print(f"B {res['b']}: video AUC {res['auc_b']:.3f}")
        print(f"A - B = {res['diff']:+.3f}, {int(res['level'] * 100)} % interval [{res['lo']:+.3f}, {res['hi']:+.3f}] "
              f"over {res['draws']} resamples of the identities; A higher in {res['a_better']:.0%} of them")
        print(verdict(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
