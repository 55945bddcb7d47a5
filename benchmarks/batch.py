"""Batch throughput: clips per hour for `python -m lda_model.predict DIR`, one clip after another
against the overlapped batch (the next clip's faces found while the model runs on this one).

    python -m benchmarks.batch [--clips 6] [--seconds 10] [--weights default] [--json]

The clips are generated 720p talking heads of the bundled public-domain face (moved differently per
clip); the same loaded model scores them both ways, so the ratio is the overlap's gain alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")

import torch

from lda_model.arguments import positive_int
from lda_model.data.animation import animate, load_face_photo, write_video
from lda_model.inference.pipeline import analyze_video, analyze_videos
from lda_model.inference.weights import load_detector


def make_clips(folder: Path, count: int, seconds: float, fps: float = 30.0) -> list[Path]:
    face = load_face_photo()
    return [write_video(folder / f"clip{k}.mp4", animate(face, int(seconds * fps), size=(1280, 720), seed=k,
                                                         amplitude=0.5), fps) for k in range(count)]


def throughput(clips: list[Path], weights: str | None, points: int) -> dict:
    """Seconds for the clips one by one and batched, and each as clips per hour."""
    detector, info = load_detector(weights)
    analyze_video(clips[0], detector, num_points=points)  # warm-up: models loaded, kernels picked
    t0 = time.perf_counter()
    for clip in clips:
        analyze_video(clip, detector, weights=info.source, num_points=points)
    sequential = time.perf_counter() - t0
    t0 = time.perf_counter()
    results = list(analyze_videos(clips, detector, info.source, points))
    batched = time.perf_counter() - t0
    failed = [p for p, r in results if isinstance(r, Exception)]
    if failed:
        raise RuntimeError(f"batch failed on {failed}")
    n, sequential, batched = len(clips), round(sequential, 3), round(batched, 3)  # the rates follow the printed times
    return {"clips": n, "points": points, "weights": info.source, "threads": torch.get_num_threads(),
            "sequential_s": sequential, "batch_s": batched,
            "sequential_clips_per_hour": round(3600 * n / sequential), "batch_clips_per_hour": round(3600 * n / batched),
            "overlap_speedup": round(sequential / batched, 3)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.batch", description=__doc__.split("\n\n")[0])
    p.add_argument("--clips", type=int, default=6)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--points", type=positive_int, default=32)
    p.add_argument("--weights", default=None)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = throughput(make_clips(Path(tmp), args.clips, args.seconds), args.weights, args.points)
    out["clip_seconds"] = args.seconds
    print(json.dumps(out) if args.json else "\n".join(f"{k}: {v}" for k, v in out.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
