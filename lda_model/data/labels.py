"""Label files for the standard deepfake datasets users own: train on them, evaluate on them.

    python -m lda_model.data.labels ffpp ROOT [--compression c23] [--splits FF_SPLITS_DIR] --out ROOT/labels.tsv
    python -m lda_model.data.labels celebdf ROOT --out ROOT/labels.tsv
    python -m lda_model.data.labels dfdc ROOT --out ROOT/labels.tsv
    python -m lda_model.data.labels folders ROOT --out ROOT/labels.tsv

The TSV (`splits.LabelRow`: `file  label  group  identity  split`, `file` relative to ROOT) is
what `evaluate --labels` scores and `prepare --labels` turns into a training cache of real *and*
fake clips (the paper's protocol: `train --data` on that cache learns from the labelled fakes).

FaceForensics++: `ROOT/original_sequences/youtube/<c>/videos/*.mp4` are REAL (group `original`)
and `ROOT/manipulated_sequences/{Deepfakes,Face2Face,FaceSwap,NeuralTextures}/<c>/videos/*.mp4`
FAKE (group = the method). A fake `a_b.mp4` puts the face (or, for the reenactment methods, the
expressions) of video b into video a, so a and b are one identity (`a+b`): the split never holds a face in test that training saw. With
`--splits DIR` (FF++'s official `train.json`, `val.json`, `test.json`: lists of [a, b] pairs)
every clip gets the official split; without it `prepare` assigns the pairs by sha1 (10 % test,
10 % val).

Celeb-DF (v2): `Celeb-real/`, `YouTube-real/` are REAL, `Celeb-synthesis/` FAKE (group = the
folder). The clips in `List_of_testing_videos.txt` (`<1|0> <path>`, 1 = real) are the test
split, as in Celeb-DF's own protocol; the rest are assigned to train / val by file. Celeb-DF's
test list shares celebrities with its training videos, so this split is video-disjoint, not
identity-disjoint (the dataset's protocol, kept so numbers compare with published ones).

DFDC: every `metadata.json` under ROOT (one per `dfdc_train_part_*` folder) maps a clip to its
`label` and, for a fake, the `original` it was made from; a fake takes its original's identity,
so a fake and its source clip never straddle two splits (assigned by sha1). Paths are relative
to ROOT.

folders: your own clips, sorted by hand into `ROOT/real/` and `ROOT/fake/` (any depth, any
video extension; group = the first folder below real/ or fake/, else `real` / `fake`; each clip
its own identity, so keep one person's clips in one folder and give an `identity` column by hand
if a person appears in several).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .splits import SPLITS, LabelRow, write_label_file
from ..inference.video import VIDEO_EXTS

FFPP_METHODS = ("Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures")
CELEBDF_FOLDERS = (("Celeb-real", "REAL"), ("YouTube-real", "REAL"), ("Celeb-synthesis", "FAKE"))


def pair_identities(stems: list[str]) -> dict[str, str]:
    """FF++ video ids -> identity: ids joined by a fake `a_b` are one identity (`a+b`; connected
    ids, so a chain a_b, b_c makes `a+b+c`). Stems without `_` are originals (their own id)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for stem in stems:
        ids = stem.split("_")
        for other in ids[1:]:
            parent[find(other)] = find(ids[0])
        find(ids[0])
    members: dict[str, list[str]] = {}
    for x in parent:
        members.setdefault(find(x), []).append(x)
    names = {root: "+".join(sorted(m)) for root, m in members.items()}
    return {x: names[find(x)] for x in parent}


def read_ffpp_splits(folder: Path) -> dict[str, str]:
    """FF++'s official split files (`train.json` ... : [[a, b], ...]) -> video id -> split."""
    out: dict[str, str] = {}
    for split in SPLITS:
        for pair in json.loads((folder / f"{split}.json").read_text()):
            for vid in pair:
                out[str(vid)] = split
    return out


def ffpp_rows(root: Path, compression: str = "c23", splits: dict[str, str] | None = None) -> list[LabelRow]:
    found = [(p, "REAL", "original") for p in sorted((root / "original_sequences" / "youtube" / compression / "videos").glob("*.mp4"))]
    for method in FFPP_METHODS:
        folder = root / "manipulated_sequences" / method / compression / "videos"
        found += [(p, "FAKE", method) for p in sorted(folder.glob("*.mp4"))]
    identity = pair_identities([p.stem for p, _, _ in found])
    rows = []
    for p, label, group in found:
        first = p.stem.split("_")[0]
        split = ""
        if splits is not None:
            if first not in splits:
                raise ValueError(f"{p.name}: video {first} is in none of the official split files")
            split = splits[first]
        rows.append(LabelRow(str(p.relative_to(root)), label, group, identity[first], split))
    return rows


def celebdf_rows(root: Path) -> list[LabelRow]:
    listed: dict[str, str] = {}
    for line in (root / "List_of_testing_videos.txt").read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            listed[parts[1]] = "REAL" if parts[0] == "1" else "FAKE"
    # each clip is its own identity (see the module docstring): the test list's clips, then the rest
    rows = [LabelRow(rel, label, rel.split("/")[0], "", "test") for rel, label in listed.items()]
    for folder, label in CELEBDF_FOLDERS:
        rows += [LabelRow(rel, label, folder) for rel in (f"{folder}/{p.name}" for p in sorted((root / folder).glob("*.mp4")))
                 if rel not in listed]
    return rows


def dfdc_rows(root: Path) -> list[LabelRow]:
    metas = sorted(root.rglob("metadata.json"))
    if not metas:
        raise FileNotFoundError(2, "no metadata.json", str(root / "*" / "metadata.json"))
    rows = []
    for meta in metas:
        folder = meta.parent
        for name, info in sorted(json.loads(meta.read_text()).items()):
            label = "FAKE" if str(info.get("label", "")).upper() == "FAKE" else "REAL"
            source = info.get("original") if label == "FAKE" else None
            rows.append(LabelRow(str((folder / name).relative_to(root)), label, folder.name,
                                 Path(source or name).stem))
    return rows


def folder_rows(root: Path) -> list[LabelRow]:
    rows = []
    for top in sorted(p for p in root.iterdir() if p.is_dir() and p.name.lower() in ("real", "fake")):
        label = top.name.upper()
        for p in sorted(top.rglob("*")):
            if p.suffix.lower() in VIDEO_EXTS and p.is_file():
                rel = p.relative_to(top)
                group = rel.parts[0] if len(rel.parts) > 1 else top.name.lower()
                rows.append(LabelRow(str(p.relative_to(root)), label, group))
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m lda_model.data.labels", description=__doc__.split("\n\n")[0])
    p.add_argument("dataset", choices=["ffpp", "celebdf", "dfdc", "folders"])
    p.add_argument("root")
    p.add_argument("--compression", default="c23", help="FF++ quality folder: raw, c23 or c40")
    p.add_argument("--splits", default=None, help="FF++: folder with the official train.json, val.json, test.json")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    root = Path(args.root)
    try:
        if args.dataset == "ffpp":
            rows = ffpp_rows(root, args.compression, read_ffpp_splits(Path(args.splits)) if args.splits else None)
        else:
            rows = {"celebdf": celebdf_rows, "dfdc": dfdc_rows, "folders": folder_rows}[args.dataset](root)
    except FileNotFoundError as err:
        print(f"error: {err.filename} not found: is {root} a {args.dataset} folder?", file=sys.stderr)
        return 1
    except (ValueError, json.JSONDecodeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if not rows:
        print(f"error: no clips found under {root} in the {args.dataset} layout", file=sys.stderr)
        return 1
    write_label_file(rows, Path(args.out))
    fixed = {s: sum(r.split == s for r in rows) for s in SPLITS if any(r.split == s for r in rows)}
    print(f"{len(rows)} clips ({sum(r.is_fake for r in rows)} fake) -> {args.out}"
          + (f"; fixed splits {fixed}" if fixed else "; splits by identity (prepare / evaluate --split)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
