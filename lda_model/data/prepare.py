"""Turn folders of real clips and photos into a cache of tracked face crops + landmarks.

    python -m lda_model.data.prepare --videos ../shared/data/real_faces/videos \
        --images ../shared/data/real_faces/images \
        --manifest ../shared/data/real_faces/MANIFEST.tsv --out cache/real_faces

For every clip, `--segments` evenly spaced segments of `--length` consecutive frames are cut
with one square window per segment (fixed at its first frame, margin as in analysis), and the
478 landmarks of *every* frame of the segment are kept in crop coordinates (the forgery
synthesis needs them per frame). A photo becomes one segment of an animated still
(`synthetic.animate`, small motion; `--photo-frames N` spreads its motion cycle over N frames and keeps
the first `--length`, for motion as calm as a tracked clip's). `--labels TSV` adds the real and fake clips of a dataset's
label file (`python -m lda_model.data.labels`) with their label (the index's `label`: 1 = a fake to
train on as it is), group and split (fixed by the file, `splits.resolve_splits`); for example

    python -m lda_model.data.prepare --labels /data/FaceForensics++/labels.tsv --crop 398 --out cache/ffpp

(`--crop`: the side of the model's input, 398 for the paper preset; the default 160 is `default`'s.)

Otherwise identities come from the manifest's `identity` column
(the file stem without one) and decide an identity-disjoint split, stratified by kind
(`assign_splits`): identities with a clip are ranked by `sha1(identity)` and 10 % go to test,
10 % to val; then the same for photo-only identities. (A plain `sha1 mod 10` put 1 of 48 clip
identities into test.) `--resplit` recomputes the splits of an existing cache without re-tracking;
`--fold F` holds out the next block of the same ranking (fold 0 is the default split; folds have
disjoint held-out people), so a recipe can be cross-validated on a copy of the cache that shares its
`items/` folder (README, *Other held-out people*);
`--workers N` prepares N files at a time in separate processes (the same cache). Output: `OUT/index.json` and `OUT/items/<name>.npz` with
`crops (K, L, S, S, 3) uint8` and `landmarks (K, L, 478, 2) float16`. Training never re-tracks.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")

import numpy as np

from ..inference.faces import DEFAULT_MARGIN, Face, FaceDetector, crop_square, crop_window, match_score, to_crop_coords
from ..inference.video import VIDEO_EXTS, VideoError, analysis_points, count_frames, frames_needed, iter_frames
from ..model.config import MAX_CLIP_LENGTH
from .animation import animate
from .splits import assign_splits, read_label_file, resolve_splits

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".pgm", ".bmp"}


def index_splits(index: dict, fold: int = 0) -> dict[str, str]:
    """Identity -> split over a cache index: the splits a label file fixed (`prepare --labels`), then
    assign_splits over the other identities (fold `fold`), clip identities first, then photo-only ones."""
    placed = {v["identity"]: v["split"] for v in index.values() if v.get("split_fixed")}
    videos = [v["identity"] for v in index.values() if v["kind"] == "video"]
    return assign_splits(videos, [v["identity"] for v in index.values()], placed=placed, fold=fold)


def clip_splits(names: list[str], manifest: str | None) -> dict[str, str]:
    """Clip file name -> split: the assignment `prepare` makes from these clips (clip identities
    are ranked first there, so photos do not change it). Identity: the manifest's, else the stem."""
    ids = read_manifest(manifest)
    identity = {n: ids.get(n, Path(n).stem) for n in names}
    splits = assign_splits(list(identity.values()))
    return {n: splits[i] for n, i in identity.items()}


def read_manifest(path: str | None) -> dict[str, str]:
    """file name -> identity."""
    if not path:
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        return {Path(row["file"]).name: row["identity"] for row in csv.DictReader(f, delimiter="\t")}


def _closest(faces: list[Face], box: np.ndarray) -> Face | None:
    if not faces:
        return None
    best = max(faces, key=lambda f: match_score(box, f.box))
    return best if match_score(box, best.box) > 0.25 else None


def segments_from_frames(frames_iter, starts: set[int], length: int, crop: int, margin: float, detector: FaceDetector):
    """Consume (index, time, rgb) frames; return crops (K, L, S, S, 3) and landmarks (K, L, 478, 2)."""
    out_crops, out_lms = [], []
    cur = None  # (window, box, crops, lms, next_index)
    for index, time_s, rgb in frames_iter:
        faces = detector.detect(rgb, time_s)
        if cur is not None and index != cur[4]:
            cur = None  # gap: drop the partial segment
        if cur is None and index in starts and faces:
            face = max(faces, key=lambda f: f.size)
            window = crop_window(face.landmarks, margin)
            cur = [window, face.box, [], [], index]
        if cur is None:
            continue
        window, box = cur[0], cur[1]
        face = _closest(faces, box)
        if face is None:
            cur = None  # lost the face mid-segment
            continue
        cur[1] = face.box
        cur[2].append(crop_square(rgb, window, crop))
        cur[3].append(to_crop_coords(face.landmarks, window, crop))
        cur[4] = index + 1
        if len(cur[2]) == length:
            out_crops.append(np.stack(cur[2]))
            out_lms.append(np.stack(cur[3]).astype(np.float16))
            cur = None
    if not out_crops:
        return None
    return np.stack(out_crops), np.stack(out_lms)


def prepare_video(path: Path, segments: int, length: int, crop: int, margin: float):
    n = count_frames(path)
    starts = analysis_points(n, length, segments)
    wanted = frames_needed(starts, length)
    with FaceDetector(max_faces=2) as det:
        return segments_from_frames(iter_frames(path, wanted, max_side=1280), set(starts), length, crop, margin, det)


def prepare_image(path: Path, length: int, crop: int, margin: float, seed: int, photo_frames: int | None = None):
    import cv2

    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        return None
    rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    scale = 256 / min(rgb.shape[:2])  # small photos (ORL 92x112) are upscaled for the landmarker
    if scale > 1:
        rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    # the still moves through one slow cycle over `photo_frames` frames, of which the first `length` are
    # kept: over `length` alone (the default) it moves ~5x more per frame than the tracked clips' faces
    frames = animate(rgb, max(length, photo_frames or length), seed=seed, amplitude=0.5)[:length]
    with FaceDetector(max_faces=2) as det:
        return segments_from_frames(((i, i / 25, f) for i, f in enumerate(frames)), {0}, length, crop, margin, det)


def split_index(index: dict, fold: int = 0) -> dict:
    """A copy of a cache index, sorted by name, with every item's split (re)assigned from all its
    identities (fold `fold`); a split a label file fixed stays. ValueError when the people cannot
    fill the fold."""
    splits = index_splits(index, fold)
    return {name: meta if meta.get("split_fixed") else {**meta, "split": splits[meta["identity"]]}
            for name, meta in sorted(index.items())}


def write_index(path: Path, index: dict, fold: int = 0) -> None:
    """(Re)assign every item's split in place (`split_index`), then write the index (sorted by name, so
    it does not depend on the order in which workers finish)."""
    resplit = split_index(index, fold)  # already sorted by name
    index.update(resplit)
    path.write_text(json.dumps(resplit, indent=1))


@dataclass(frozen=True)
class Job:
    """One file to prepare: everything a worker process needs, nothing it has to share."""

    position: int  # in the list of files (a photo's animation seed)
    path: Path
    kind: str  # "video" or "image"
    name: str  # the item's name in the cache
    meta: dict  # the index entry without `segments`
    out: Path  # the cache folder
    segments: int
    length: int
    crop: int
    margin: float
    photo_frames: int | None


def run_job(job: Job) -> tuple[Job, int | None, str]:
    """Prepare one file and write its `items/<name>.npz`: (job, segments or None when skipped, why)."""
    try:
        if job.kind == "video":
            res = prepare_video(job.path, job.segments, job.length, job.crop, job.margin)
        else:
            res = prepare_image(job.path, job.length, job.crop, job.margin, seed=job.position,
                                photo_frames=job.photo_frames)
    except VideoError as err:
        return job, None, str(err)
    if res is None:
        return job, None, "no face"
    crops, lms = res
    np.savez(job.out / "items" / f"{job.name}.npz", crops=crops, landmarks=lms)
    return job, len(crops), ""


def run_jobs(jobs: list[Job], workers: int):
    """run_job over the jobs, in this process or in `workers` processes (results as they finish)."""
    if workers <= 1 or len(jobs) <= 1:
        yield from map(run_job, jobs)
        return
    import multiprocessing

    # spawn: each worker starts clean (no copy of this process's MediaPipe or OpenCV state)
    with multiprocessing.get_context("spawn").Pool(min(workers, len(jobs))) as pool:
        yield from pool.imap_unordered(run_job, jobs)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m lda_model.data.prepare", description=__doc__.split("\n\n")[0])
    p.add_argument("--videos", action="append", default=[], help="folder of clips (repeatable)")
    p.add_argument("--images", action="append", default=[], help="folder of photos, searched recursively (repeatable)")
    p.add_argument("--manifest", default=None, help="TSV with `file` and `identity` columns")
    p.add_argument("--labels", action="append", default=[],
                   help="label file of real and fake clips (`python -m lda_model.data.labels`; repeatable): each clip is "
                        "cached with its label, group and split, and `train` learns from the labelled fakes")
    p.add_argument("--out", required=True)
    p.add_argument("--segments", type=int, default=40, help="segments per clip (default 40)")
    p.add_argument("--length", type=int, default=MAX_CLIP_LENGTH,
                   help=f"frames per segment: n+1 for the largest n (default {MAX_CLIP_LENGTH})")
    p.add_argument("--crop", type=int, default=160, help="crop side in pixels (default 160)")
    p.add_argument("--margin", type=float, default=DEFAULT_MARGIN)
    p.add_argument("--photo-frames", type=int, default=None, metavar="N",
                   help="animate a photo over N frames and keep the first --length (default: --length frames, the "
                        "cache the shipped checkpoints trained on; larger N = calmer, more video-like motion)")
    p.add_argument("--workers", type=int, default=1,
                   help="files prepared in parallel processes (default 1; the cache is the same for any number)")
    p.add_argument("--resplit", action="store_true", help="only recompute the splits of OUT/index.json")
    p.add_argument("--fold", type=int, default=0, metavar="F",
                   help="hold out fold F's people instead (0, the default: the split the bundled checkpoints "
                        "trained on; folds 1, 2, ... hold out other, disjoint people; give the same F whenever "
                        "OUT is written again)")
    args = p.parse_args(argv)
    try:
        files = list_sources(args.videos, args.images, args.labels)
        out = Path(args.out)
        (out / "items").mkdir(parents=True, exist_ok=True)
        index_path = out / "index.json"
        index = json.loads(index_path.read_text()) if index_path.exists() else {}
        index_splits(index, args.fold)  # a fold the cache's people cannot fill is refused before any work
        jobs = [] if args.resplit else plan_jobs(files, read_manifest(args.manifest), set(index), out, args.segments,
                                                 args.length, args.crop, args.margin, args.photo_frames)
        run_and_index(jobs, args.workers, index, index_path, args.fold)
    except (OSError, ValueError) as err:  # an unreadable label file, or a fold the people no longer fit
        print(f"error: {err}", file=sys.stderr)
        return 2
    counts = {s: sum(1 for v in index.values() if v["split"] == s) for s in ("train", "val", "test")}
    fakes = {s: sum(1 for v in index.values() if v["split"] == s and v.get("label")) for s in ("train", "val", "test")}
    print(f"done: {len(index)} items {counts}" + (f", of them labelled fakes {fakes}" if any(fakes.values()) else ""))
    return 0


def list_sources(videos: list[str], images: list[str], labels: list[str]) -> list[tuple[Path, str, dict | None]]:
    """(file, kind, labelled) for every clip and photo: `labelled` holds a label file's label, group,
    identity and split for its clips, None for the real media of the folders."""
    files = [(f, "video", None) for d in videos for f in sorted(Path(d).iterdir()) if f.suffix.lower() in VIDEO_EXTS]
    files += [(f, "image", None) for d in images for f in sorted(Path(d).rglob("*")) if f.suffix.lower() in IMAGE_EXTS]
    for tsv in map(Path, labels):
        rows = read_label_file(tsv)
        where = resolve_splits(rows)
        files += [(tsv.parent / r.file, "video", dict(label=int(r.is_fake), group=r.group, identity=r.person,
                                                        split=where[r.file], split_fixed=True))
                  for r in rows if Path(r.file).suffix.lower() in VIDEO_EXTS]
    return files


def plan_jobs(files: list[tuple[Path, str, dict | None]], identities: dict[str, str], cached: set[str], out: Path,
              segments: int, length: int, crop: int, margin: float, photo_frames: int | None) -> list[Job]:
    """One job per file not cached yet (a name already cached, or planned for an earlier file, is not redone)."""
    jobs, planned = [], set(cached)
    for i, (f, kind, labelled) in enumerate(files):
        name = f.stem if kind == "video" else f"img_{f.parent.name}_{f.stem}"
        if labelled and labelled["group"]:
            name = f"{labelled['group']}_{f.stem}"  # FF++ names a_b.mp4 once per method
        if name in planned:
            continue
        planned.add(name)
        meta = dict(file=str(f), kind=kind, identity=labelled["identity"] if labelled else identities.get(f.name, f.stem),
                    split="")
        if labelled:  # label 1 = a fake to learn from as it is (unlabelled items are real)
            meta.update(label=labelled["label"], group=labelled["group"], split=labelled["split"], split_fixed=True)
        jobs.append(Job(i, f, kind, name, meta, out, segments, length, crop, margin, photo_frames))
    return jobs


def run_and_index(jobs: list[Job], workers: int, index: dict, index_path: Path, fold: int) -> None:
    """Run the jobs, adding each prepared item to `index`, written every few seconds (an interrupted run
    keeps a usable index) and at the end; ValueError when the fold no longer fits the people."""
    start = last_write = time.time()
    for done, (job, segments, why) in enumerate(run_jobs(jobs, workers), 1):
        if segments is None:
            print(f"skip {job.path.name}: {why}", file=sys.stderr)
            continue
        index[job.name] = {**job.meta, "segments": segments}
        if time.time() - last_write > 5:
            try:
                write_index(index_path, index, fold)
            except ValueError:  # too few people so far for this fold: the final write decides
                pass
            last_write = time.time()
        print(f"[{done}/{len(jobs)}] {job.name}: {segments} segments ({time.time() - start:.0f}s)", flush=True)
    write_index(index_path, index, fold)


if __name__ == "__main__":
    sys.exit(main())
