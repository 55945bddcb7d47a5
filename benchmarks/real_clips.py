"""Run the analysis on every clip of a folder and report faces, tracks and time per clip.

    python -m benchmarks.real_clips ../shared/data/real_faces/videos [--weights default] [--json] \
        [--manifest ../shared/data/real_faces/MANIFEST.tsv]

One line per clip (tracks found, analysis points of the main track, seconds, fake probability),
then a summary (clips, failures, clips with 0 / 1 / more face tracks, median and max seconds, and
for these real clips the share scored REAL). With `--manifest`, the same share is also given per
split of `prepare.assign_splits` (clips of held-out identities are the honest false-alarm rate).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")

import numpy as np

from lda_model.inference.pipeline import analyze_video
from lda_model.arguments import positive_int
from lda_model.data.prepare import clip_splits
from lda_model.inference.video import VIDEO_EXTS, VideoError
from lda_model.inference.weights import load_detector



def real_share(rows: list[dict], threshold: float = 0.5) -> dict:
    """How many of these (real) clips score below the threshold, and their mean score."""
    scores = [r["fake_probability"] for r in rows if r.get("fake_probability") is not None]
    return {"clips": len(scores), "below_threshold": sum(s < threshold for s in scores),
            "mean_fake_probability": round(float(np.mean(scores)), 3) if scores else None}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.real_clips", description=__doc__.split("\n\n")[0])
    p.add_argument("folder")
    p.add_argument("--weights", default=None)
    p.add_argument("--points", type=positive_int, default=32)
    p.add_argument("--json", action="store_true")
    p.add_argument("--manifest", default=None, help="identities for a per-split summary")
    args = p.parse_args(argv)
    detector, info = load_detector(args.weights)
    rows = []
    for path in sorted(f for f in Path(args.folder).iterdir() if f.suffix.lower() in VIDEO_EXTS):
        t = time.perf_counter()
        try:
            res = analyze_video(path, detector, weights=info.source, num_points=args.points)
            row = {"video": path.name, "tracks": len(res.tracks),
                   "main_points": len(res.tracks[res.main_track]) if res.main_track is not None else 0,
                   "fake_probability": res.fake_probability, "frames": res.info.frame_count,
                   "size": f"{res.info.width}x{res.info.height}"}
        except VideoError as err:
            row = {"video": path.name, "error": str(err)}
        row["seconds"] = round(time.perf_counter() - t, 3)
        rows.append(row)
        print(json.dumps(row) if args.json else f"{row['video']:55s} {row.get('tracks', '-')!s:>3} tracks "
              f"{row['seconds']:6.2f} s  p={row.get('fake_probability')}", flush=True)
    ok = [r for r in rows if "error" not in r]
    secs = [r["seconds"] for r in ok]
    summary = {"clips": len(rows), "failed": len(rows) - len(ok),
               "clips_by_tracks": {"0": sum(r["tracks"] == 0 for r in ok), "1": sum(r["tracks"] == 1 for r in ok),
                                   "2+": sum(r["tracks"] >= 2 for r in ok)},
               "median_s": round(float(np.median(secs)), 3) if secs else None,
               "max_s": round(float(np.max(secs)), 3) if secs else None, "weights": info.source,
               "scored_real": real_share(ok)}
    if args.manifest:
        splits = clip_splits([r["video"] for r in rows], args.manifest)
        summary["scored_real_by_split"] = {s: real_share([r for r in ok if splits[r["video"]] == s])
                                           for s in ("train", "val", "test")}
    print(json.dumps({"summary": summary}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
