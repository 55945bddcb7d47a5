"""Evaluate a checkpoint: detection ACC/AUC, held-out synthesized forgeries, localization (a thin CLI over
`lda_model.evaluation`).

    python -m lda_model.evaluate --weights SRC --labels TSV [--split test] [--videos DIR] [--json] [--roc roc.png]
    python -m lda_model.evaluate synthetic --data cache/real_faces [--split test] [--weights SRC] [--json] [--device auto]
    python -m lda_model.evaluate localization --videos DIR [--manifest TSV --split test] [--weights SRC] [--json]

- Detection (default): every clip under DIR listed in TSV (`file` relative to the TSV's folder,
  `label` REAL/FAKE, optional `group`, `identity`, `split`; `--groups a,b` keeps those groups,
  `--split test` the test clips of a dataset's label file, `python -m lda_model.data.labels`). Frame level: every
  analysis point of the main track is a sample with its clip's label; video level: the clip's
  score (mean of its main track). Prints ACC (threshold 0.5) and AUC for both; writes the
  video-level ROC curve as a PNG with `--roc`; `video_auc_ci95` is the video AUC's 95 % interval
  when the clips are resampled with replacement (a handful of clips pins an AUC down only loosely).
  `fakes_by_group` scores each group's fakes against every real clip of the run (AUC, mean fake
  score, `detected` = share at or above 0.5): which kind of fake the detector catches.
- synthetic: the identity-disjoint split of a `prepare` cache; each item is scored as a real
  "video" (mean over its segments) and as a fake one (every segment forged by
  `forgery.forge_clip` with a seed fixed per item), so the AUC is over held-out identities.
  `--seeds K` forges each item K times (seeds SEED..SEED+K-1) against its one real score: the
  pooled video AUC is then the mean of the per-seed AUCs (`video_auc_by_seed`), a steadier
  number for comparing checkpoints on a small split. `--device cuda|auto` runs the model on a GPU
  (the paper preset needs one; forging stays on the CPU). `video_auc_ci95` is the 95 % interval of
  the video AUC when the split's identities are resampled with replacement (the luck of which people
  were held out); `videos` lists every video score (item, identity, seed, label), which
  `python -m tools.compare A.json B.json` pairs to ask whether one checkpoint beats another.
  `segment` is the same over every segment on its own (a clip item holds many segments, a photo
  one): more samples, but segments of one clip are not independent. `segment_by_pixel_change`
  splits the fake segments into terciles of mean |fake - real| and gives each tercile's segment
  AUC against all real segments: do misses come from fakes that barely change the pixels?
  `video_by_source` gives the video metrics (and mean real / fake score) of the photo-only items
  and the clip items apart, since a split mixes both; `hardest_reals` / `hardest_fakes` name the
  real items scored highest and the fakes scored lowest (item, seed, kind); `video_by_quality`
  the video metrics of the items whose real face draws `predict`'s and the app's quality caution
  (darker or softer than 99 % of the training faces, `quality.py`) and of the others. On a cache with labelled fakes (`prepare
  --labels`, e.g. FF++'s test split) `labelled_fakes` scores them against the split's real items
  (video level, and per group = manipulation method), from the cache, without re-tracking.
- localization (the paper's Fig. 8 as a number): for each clip's analysis points, a defect
  (`blur_mouth`, `red_pupil`, `distort_mouth`) is put on frame t..t+n at the regions the
  landmarks of frame t locate; a hit is when the peak of sum_maps (maps(tampered) -
  maps(original)) (spatial maps + time-reduced temporal maps, on the patch grid) is positive and
  falls on a patch that overlaps the defect region. Also printed: `rise_rate`, how often the mean
  change over the region's patches is positive (attention rose on the defect); see defects.py for
  why the literal hit rate is near 1 for almost any weights of this architecture. Prints
  {"hit_rate", "rise_rate", "n", "chance", "per_defect"}, where chance is the mean fraction of
  patches overlapping the region (a random peak's hit rate).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")

import torch

from .evaluation.detection import evaluate_detection
from .evaluation.localization import evaluate_localization
from .evaluation.synthetic import evaluate_synthetic
from .inference.weights import WeightsError, load_detector

MODES = ("detection", "synthetic", "localization")
PER_VIDEO_KEYS = ("clips", "videos")  # every clip's / video's score: in --json (for tools.compare), not in summaries


def _csv(value: str | None) -> set[str] | None:
    return set(value.split(",")) if value else None


def parse_args(argv: list[str]) -> tuple[str, argparse.Namespace]:
    """(mode, arguments): the first word picks the mode (`synthetic`, `localization`, else detection)."""
    argv = list(argv)
    mode = argv.pop(0) if argv and argv[0] in MODES[1:] else "detection"
    p = argparse.ArgumentParser(prog=f"python -m lda_model.evaluate{'' if mode == 'detection' else ' ' + mode}")
    p.add_argument("--weights", default=None,
                   help="checkpoint folder, bundled name or Hub repo (default: the bundled default)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--points", type=int, default=16, help="analysis points per clip (default 16)")
    if mode == "detection":
        p.add_argument("--videos", default=None, help="only clips under this folder")
        p.add_argument("--labels", required=True)
        p.add_argument("--groups", default=None, help="comma-separated groups to keep")
        p.add_argument("--split", default=None,
                       help="keep clips of these splits (e.g. test): the label file's `split` column, else by "
                            "identity as `prepare --labels` assigns them")
        p.add_argument("--roc", default=None, help="write the video-level ROC curve to this PNG")
    elif mode == "synthetic":
        p.add_argument("--data", required=True)
        p.add_argument("--split", default="test")
        p.add_argument("--seed", type=int, default=0, help="forgery seed (with --seeds K: the first of K)")
        p.add_argument("--seeds", type=int, default=1,
                       help="forge every item K times (seeds SEED..SEED+K-1) and pool the fakes; one seed's "
                            "video AUC moves by a few hundredths with the seed, so compare checkpoints with K >= 3")
        p.add_argument("--device", default="cpu",
                       help="where the model runs: cpu (default), cuda, or auto (cuda when there is one); "
                            "forging stays on the CPU")
    else:
        p.add_argument("--videos", nargs="+", required=True)
        p.add_argument("--manifest", default=None)
        p.add_argument("--split", default=None, help="keep clips whose identity falls in these splits (e.g. val,test)")
        p.add_argument("--strength", type=float, default=1.0)
    return mode, p.parse_args(argv)


def _on_device(detector, name: str):
    if name == "cpu":
        return detector
    name = ("cuda" if torch.cuda.is_available() else "cpu") if name == "auto" else name
    try:
        return copy.deepcopy(detector).to(torch.device(name))  # the cached CPU model stays as it is
    except (RuntimeError, AssertionError) as err:
        raise ValueError(f"device {name!r}: {err}") from None


def run(argv: list[str]) -> dict:
    """The evaluation a command line asks for, as its result dict (what `--json` prints). WeightsError or
    ValueError for bad input; `release` calls this with the very arguments its card prints."""
    mode, a = parse_args(argv)
    detector, info = load_detector(a.weights)
    if mode == "detection":
        return evaluate_detection(detector, info.source, Path(a.labels), Path(a.videos) if a.videos else None,
                                  _csv(a.groups), _csv(a.split), a.points, a.roc)
    if mode == "synthetic":
        return evaluate_synthetic(_on_device(detector, a.device), info.source, a.data, a.split, a.seed, a.seeds)
    return evaluate_localization(detector, info.source, a.videos, a.manifest, _csv(a.split), a.points, a.strength)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = parse_args(argv)[1].json
    try:
        result = run(argv)
    except (WeightsError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            if k not in PER_VIDEO_KEYS:
                print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
