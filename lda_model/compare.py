"""Is checkpoint A better than checkpoint B, beyond the luck of which people or clips happen to be
held out?

    python -m lda_model.evaluate synthetic --data cache/real_faces --split val --seeds 3 --weights A --json > a.json
    python -m lda_model.evaluate synthetic --data cache/real_faces --split val --seeds 3 --weights B --json > b.json
    python -m lda_model.compare a.json b.json [--draws 2000] [--json]

Works on two `evaluate synthetic --json` outputs (video scores paired by item and forgery seed; the
split's identities are resampled) or two `evaluate --labels TSV --json` outputs (clips paired by
group and file name; each clip is resampled on its own). Both runs must cover the same videos. The
same resample serves both checkpoints (`metrics.paired_auc_difference`); it prints AUC(A) - AUC(B)
with its 95 % interval and the share of draws in which A scores higher. An interval that straddles 0
means these data cannot tell the two apart. It measures the sample, not the training: a rerun of one
recipe with another seed moves a checkpoint too (README, *Training seed*). Exit status 2 on files
that cannot be compared.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from .metrics import paired_auc_difference


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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m lda_model.compare", description=__doc__.split("\n\n")[0])
    p.add_argument("a", help="`evaluate synthetic --json` or `evaluate --labels TSV --json` output of checkpoint A")
    p.add_argument("b", help="the same for checkpoint B, over the same videos")
    p.add_argument("--draws", type=int, default=2000, help="bootstrap resamples (default 2000)")
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
