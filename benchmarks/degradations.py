"""How ordinary degradations of a *real* clip (blur, low resolution, heavy compression, noise,
sharpening, a dark room) move the detector's score: false alarms a user can cause without forging.

    python -m benchmarks.degradations --videos ../shared/data/real_faces/videos \
        --manifest ../shared/data/real_faces/MANIFEST.tsv --split val,test [--weights default] [--json]
    python -m benchmarks.degradations            # the bundled astronaut photo, gently moving (no data needed)

Each clip's first `--frames` frames (long side at most 720 px) are written losslessly (FFV1) once
as they are (`clean`) and once per degradation, and every copy goes through the app's whole
pipeline (`analyze_video`, `--points` analysis points): the only difference between `clean` and a
condition is the degradation. Sizes are relative to the frame (a blur of "1 px at 480p" is 2.25 px
on a 1080p frame). Prints per condition the mean p(fake), the share of clips at or above the
threshold (false alarms: every clip here is real), the mean change from `clean`, the share the
face-quality check flagged (`lda_model.inference.quality`: a note in the app and `predict`) and how many
false alarms went unflagged.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("GLOG_minloglevel", "2")

import cv2
import numpy as np

from lda_model.inference.pipeline import DEFAULT_THRESHOLD, analyze_video
from lda_model.evaluation.conditions import degrade_frame as damage
from lda_model.data.prepare import clip_splits
from lda_model.arguments import positive_int
from lda_model.data.animation import animate, load_face_photo, write_video
from lda_model.inference.video import VIDEO_EXTS, VideoError, iter_frames, probe_video
from lda_model.inference.weights import load_detector

if TYPE_CHECKING:
    from lda_model import LDADetector

# name -> (kind, amount); sizes in px of a 480p frame, scaled to the clip's short side
CONDITIONS: dict[str, tuple[str, float]] = {
    "clean": ("none", 0.0),
    "blur 1 px": ("blur", 1.0),
    "blur 2 px": ("blur", 2.0),
    "low-res 240p": ("resample", 240.0),
    "low-res 120p": ("resample", 120.0),
    "JPEG q30": ("jpeg", 30.0),
    "noise 4/255": ("noise", 4.0),
    "sharpened": ("sharpen", 1.0),
    "dark x0.5": ("dark", 0.5),
}


def apply_condition(frame: np.ndarray, kind: str, amount: float, rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> the same frame degraded; `amount` as in `CONDITIONS`."""
    h, w = frame.shape[:2]
    scale = min(h, w) / 480.0  # px of a 480p frame -> px of this frame
    if kind == "none":
        return frame
    if kind == "blur":
        return damage(frame, "blur", amount * scale)
    if kind == "resample":  # to `amount` px on the short side (long side in proportion) and back
        return damage(frame, "resample", max(h, w) * min(1.0, amount / min(h, w)))
    if kind == "jpeg":
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, int(amount)])
        return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    if kind == "noise":
        return np.clip(frame + rng.normal(0.0, amount, frame.shape), 0, 255).astype(np.uint8)
    if kind == "sharpen":  # unsharp mask, radius 1 px at 480p
        soft = cv2.GaussianBlur(frame, (0, 0), max(0.5, scale))
        return cv2.addWeighted(frame, 1.0 + amount, soft, -amount, 0)
    if kind == "dark":
        return damage(frame, "dark", amount)
    raise ValueError(f"unknown degradation {kind!r}")


def load_clip(path: Path, num_frames: int) -> tuple[list[np.ndarray], float]:
    info = probe_video(path)
    frames = [f for _, _, f in iter_frames(path, list(range(num_frames)), max_side=720)]
    if not frames:
        raise VideoError(f"no frame of {path.name} could be decoded")
    return frames, (info.fps or 25.0)


def summarize(rows: list[dict], threshold: float) -> dict:
    """Per condition: clips scored, mean p(fake), false alarms (share >= threshold), mean change from
    clean, share flagged by the quality check and false alarms it did not flag."""
    out = {}
    for name in CONDITIONS:
        pairs = [(r["scores"].get(name), r["scores"].get("clean")) for r in rows]
        scored = [s for s, _ in pairs if s is not None]
        deltas = [s - c for s, c in pairs if s is not None and c is not None]
        flags = [r.get("flagged", {}).get(name) for r in rows if r["scores"].get(name) is not None]
        out[name] = {"clips": len(scored),
                     "mean_fake_probability": round(float(np.mean(scored)), 3) if scored else None,
                     "false_alarm_rate": round(float(np.mean([s >= threshold for s in scored])), 3) if scored else None,
                     "mean_change": round(float(np.mean(deltas)), 3) if deltas else None,
                     "flagged_rate": round(float(np.mean([bool(f) for f in flags])), 3) if scored else None,
                     "unflagged_false_alarms": sum(s >= threshold and not f for s, f in zip(scored, flags))}
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.degradations", description=__doc__.split("\n\n")[0])
    p.add_argument("--videos", default=None, help="a folder of real clips (default: the bundled photo, animated)")
    p.add_argument("--manifest", default=None, help="identities, to keep only the clips of --split")
    p.add_argument("--split", default=None, help="with --manifest: e.g. val,test (identities never trained on)")
    p.add_argument("--weights", default=None)
    p.add_argument("--frames", type=int, default=150, help="first frames of each clip (default 150)")
    p.add_argument("--points", type=positive_int, default=16, help="analysis points per clip (default 16)")
    p.add_argument("--json", action="store_true")
    return p.parse_args(argv)


def select_sources(videos: str | None, manifest: str | None, split: str | None) -> list[tuple[str, Path | None]]:
    """(name, path) of the clips to degrade: those in `videos` (of `split` only, by `manifest`), else
    the bundled photo (path None); empty when the folder holds none."""
    if not videos:
        return [("astronaut (animated photo)", None)]
    paths = sorted(f for f in Path(videos).iterdir() if f.suffix.lower() in VIDEO_EXTS)
    if split:
        keep = set(split.split(","))
        splits = clip_splits([f.name for f in paths], manifest)
        paths = [f for f in paths if splits[f.name] in keep]
    return [(f.name, f) for f in paths]


def source_frames(path: Path | None, num_frames: int) -> tuple[list[np.ndarray], float]:
    """The first `num_frames` frames of `path` and its fps; the bundled photo, animated, for None."""
    if path is None:
        return list(animate(load_face_photo(), num_frames, size=(480, 480), seed=11, amplitude=0.8)), 25.0
    return load_clip(path, num_frames)


def score_conditions(frames: list[np.ndarray], fps: float, detector: LDADetector, weights: str, points: int,
                     folder: Path) -> tuple[dict, dict]:
    """Per condition: the degraded clip's p(fake) and whether the quality check flagged it."""
    scores, flagged = {}, {}
    for cond, (kind, amount) in CONDITIONS.items():
        rng = np.random.default_rng(0)
        copy = write_video(folder / "copy.mkv", np.stack([apply_condition(f, kind, amount, rng) for f in frames]),
                           fps)  # .mkv: FFV1, lossless
        res = analyze_video(copy, detector, weights=weights, num_points=points)
        scores[cond] = None if res.fake_probability is None else round(res.fake_probability, 4)
        q = res.quality()
        flagged[cond] = None if q is None else bool(q.notes())
    return scores, flagged


def degrade_sources(sources: list[tuple[str, Path | None]], detector: LDADetector, weights: str, num_frames: int,
                    points: int, as_json: bool) -> list[dict]:
    """One row per clip that decoded (printed as it is done): its size, scores and quality flags."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in sources:
            try:
                frames, fps = source_frames(path, num_frames)
            except VideoError as err:
                print(f"skipped {name}: {err}", file=sys.stderr)
                continue
            scores, flagged = score_conditions(frames, fps, detector, weights, points, Path(tmp))
            row = {"video": name, "size": f"{frames[0].shape[1]}x{frames[0].shape[0]}", "scores": scores,
                   "flagged": flagged}
            rows.append(row)
            print(json.dumps(row) if as_json else f"{name:50s} " + " ".join(
                f"{c}={'-' if s is None else f'{s:.2f}'}" for c, s in scores.items()), flush=True)
    return rows


def print_summary(summary: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"summary": summary}))
    else:
        print(f"\n{'condition':14s} {'clips':>5s} {'mean p(fake)':>13s} {'false alarms':>13s} {'change':>8s} "
              f"{'flagged':>8s} {'unflagged alarms':>17s}")
        for cond, s in summary["conditions"].items():
            fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
            print(f"{cond:14s} {s['clips']:5d} {fmt(s['mean_fake_probability']):>13s} "
                  f"{fmt(s['false_alarm_rate']):>13s} {fmt(s['mean_change']):>8s} {fmt(s['flagged_rate']):>8s} "
                  f"{s['unflagged_false_alarms']:17d}")


def main(argv=None) -> int:
    args = parse_args(argv)
    detector, info = load_detector(args.weights)
    threshold = DEFAULT_THRESHOLD
    sources = select_sources(args.videos, args.manifest, args.split)
    if not sources:
        print("error: no clips to degrade", file=sys.stderr)
        return 2
    rows = degrade_sources(sources, detector, info.source, args.frames, args.points, args.json)
    summary = {"weights": info.source, "clips": len(rows), "frames": args.frames, "points": args.points,
               "threshold": threshold, "conditions": summarize(rows, threshold)}
    print_summary(summary, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
