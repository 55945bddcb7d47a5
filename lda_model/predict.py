"""Score video clips from the command line.

    python -m lda_model.predict VIDEO|DIR|GLOB [...] [--weights SRC] [--json]

`--weights` takes a local checkpoint folder, a bundled name (`default`, `m2`, ...) or a Hub repo
id `org/name[@revision]` (default: `$LDA_WEIGHTS`, else `default`). With `--json`, one JSON
object per clip per line:

    {"video", "fake_probability", "label", "threshold", "uncertain", "uncertain_band", "spread",
     "concentration", "faces", "main_track", "tracks",
     "frames": [{"index", "time_s", "track", "fake_probability", "box": [x0, y0, x1, y1], "concentration"}],
     "weights", "duration_s", "quality"}

A folder stands for the video files in it and a quoted glob (`'clips/*.mp4'`) for its matches,
in sorted order; the model is loaded once for all of them, and while it runs on one clip the faces of
the next are already being found (`inference.pipeline.analyze_videos`).
A decodable clip with no face gives `"faces": 0`, `"fake_probability": null` and a "message".
An unreadable file prints one `error: ...` line on stderr; the exit status is 1 if any clip
failed, 2 for bad arguments or weights.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from .arguments import positive_int

os.environ.setdefault("GLOG_minloglevel", "2")  # keep MediaPipe's C++ logging off the terminal
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m lda_model.predict", description=__doc__.split("\n\n")[0])
    p.add_argument("videos", nargs="+", metavar="VIDEO")
    p.add_argument("--weights", default=None, help="folder, bundled name or org/name[@rev] (default: $LDA_WEIGHTS or 'default')")
    p.add_argument("--json", action="store_true", help="one JSON object per clip per line")
    p.add_argument("--points", type=positive_int, default=32, help="analysis points per clip (default 32)")
    p.add_argument("--threshold", type=float, default=None, help="FAKE when the score >= this (default 0.5)")
    p.add_argument("--time-limit", type=float, default=300.0, help="seconds per clip before giving up (default 300)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    return p.parse_args(argv)


class _Bar:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, name: str, enabled: bool) -> None:
        self.name, self.enabled = name, enabled and sys.stderr.isatty()

    def __call__(self, fraction: float, desc: str) -> None:
        if self.enabled:
            n = int(fraction * 30)
            sys.stderr.write(f"\r{self.name[:30]:30s} [{'#' * n}{'.' * (30 - n)}] {desc:18s}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 90 + "\r")


def expand_videos(args: list[str]) -> list[str]:
    """Folders -> their video files, globs -> their matches (sorted); other arguments as given."""
    import glob

    from .inference.video import VIDEO_EXTS

    out: list[str] = []
    for arg in args:
        if os.path.isdir(arg):
            out += sorted(os.path.join(arg, f) for f in os.listdir(arg) if os.path.splitext(f)[1].lower() in VIDEO_EXTS)
        elif any(c in arg for c in "*?[") and not os.path.exists(arg):
            out += sorted(glob.glob(arg))
        else:
            out.append(arg)
    return out


def format_table(record: dict) -> str:
    head = f"{record['video']}: "
    if record["fake_probability"] is None:
        return head + record.get("message", "no face")
    lines = [
        head + f"{record['label']}  fake probability {record['fake_probability']:.3f} "
        f"(threshold {record['threshold']:.2f}, {record['faces']} face track(s), main track {record['main_track']}, "
        f"weights {record['weights']})",
        f"  {'time':>8s} {'frame':>6s} {'track':>5s} {'p(fake)':>8s}",
    ]
    for f in record["frames"]:
        lines.append(f"  {f['time_s']:8.2f} {f['index']:6d} {f['track']:5d} {f['fake_probability']:8.3f}")
    lines += [f"  note: {n}" for n in record.get("quality", {}).get("notes", [])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)
    from .inference.pipeline import DEFAULT_THRESHOLD, analyze_video
    from .inference.weights import WeightsError, load_detector

    videos = expand_videos(args.videos)
    if not videos:
        print("error: no video files matched", file=sys.stderr)
        return 2
    try:
        detector, info = load_detector(args.weights)
    except WeightsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    threshold = DEFAULT_THRESHOLD if args.threshold is None else args.threshold
    if len(videos) > 1:  # a batch: the next clip's faces are found while the model runs on this one
        return _batch(videos, detector, info.source, args.points, threshold, args.time_limit, args.json)
    bar = _Bar(os.path.basename(videos[0]), not args.no_progress)
    try:
        result = analyze_video(videos[0], detector, weights=info.source, num_points=args.points, threshold=threshold,
                               progress=bar, time_limit_s=args.time_limit)
    except Exception as err:  # noqa: BLE001 - the CLI never shows a traceback
        result = err
    bar.close()
    return 0 if _report(videos[0], result, args.json) else 1


def _report(video: str, result, as_json: bool) -> bool:
    """Print one clip's record (or its one-line error); True when it was analysed."""
    from .inference.faces import FaceModelError, print_error
    from .inference.video import VideoError

    if isinstance(result, (VideoError, FaceModelError, OSError)):
        print_error(f"error: {video}: {result}")
        return False
    if isinstance(result, Exception):
        print_error(f"error: {video}: unexpected {type(result).__name__}: {result}")
        return False
    record = result.to_json()
    record["video"] = video
    print(json.dumps(record) if as_json else format_table(record), flush=True)
    return True


def _batch(videos: list[str], detector, weights: str, points: int, threshold: float, time_limit: float,
           as_json: bool) -> int:
    from .inference.pipeline import analyze_videos

    failed = 0
    for video, result in analyze_videos(videos, detector, weights, points, threshold, time_limit):
        failed += not _report(video, result, as_json)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
