"""The `python -m lda_model.evaluate` command: its arguments, and `run`, which returns what it prints
(release calls `run` in-process with the very arguments its model cards print)."""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")

import torch

from ..inference.faces import FaceModelError
from ..inference.weights import WeightsError, load_detector
from ..arguments import positive_int
from .detection import evaluate_detection
from .localization import localization_report
from .synthetic import evaluate_synthetic

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
    p.add_argument("--points", type=positive_int, default=16, help="analysis points per clip (default 16)")
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
        p.add_argument("--data", default=None,
                       help="a prepare cache: add each map's blend patch AUC on its synthesized forgeries")
        p.add_argument("--data-split", default="test", help="the cache split for --data (default test)")
        p.add_argument("--no-baseline", action="store_true",
                       help="skip the same measurements for the architecture with random weights")
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
    """The evaluation a command line asks for, as its result dict (what `--json` prints). WeightsError,
    FaceModelError (the face landmarker cannot load) or ValueError for bad input; `release` calls this
    with the very arguments its card prints."""
    mode, a = parse_args(argv)
    detector, info = load_detector(a.weights)
    if mode == "detection":
        return evaluate_detection(detector, info.source, Path(a.labels), Path(a.videos) if a.videos else None,
                                  _csv(a.groups), _csv(a.split), a.points, a.roc)
    if mode == "synthetic":
        return evaluate_synthetic(_on_device(detector, a.device), info.source, a.data, a.split, a.seed, a.seeds)
    return localization_report(detector, info.source, a.videos, a.data, a.data_split, a.manifest, _csv(a.split),
                               a.points, a.strength, baseline=not a.no_baseline)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = parse_args(argv)[1].json
    try:
        result = run(argv)
    except (WeightsError, FaceModelError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            if k not in PER_VIDEO_KEYS:
                print(f"{k}: {v}")
    return 0

