"""Label files for the standard deepfake datasets users own, in the `evaluate` TSV format.

    python -m lda_model.datasets ffpp ROOT [--compression c23] --out ROOT/labels.tsv
    python -m lda_model.datasets celebdf ROOT --out ROOT/labels.tsv

FaceForensics++: `ROOT/original_sequences/youtube/<c>/videos/*.mp4` are REAL and
`ROOT/manipulated_sequences/{Deepfakes,Face2Face,FaceSwap,NeuralTextures}/<c>/videos/*.mp4` FAKE
(`group` = the method). Celeb-DF: `ROOT/List_of_testing_videos.txt` lines `<1|0> <path>` (1 = real).
The TSV's `file` column is relative to ROOT, so `evaluate --labels ROOT/labels.tsv` finds the
clips; real FF++ clips can also be prepared for training with `prepare --videos
ROOT/original_sequences/youtube/c23/videos`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

FFPP_METHODS = ("Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures")


def ffpp_rows(root: Path, compression: str = "c23") -> list[tuple[str, str, str]]:
    rows = []
    real = root / "original_sequences" / "youtube" / compression / "videos"
    rows += [(str(p.relative_to(root)), "REAL", "original") for p in sorted(real.glob("*.mp4"))]
    for method in FFPP_METHODS:
        folder = root / "manipulated_sequences" / method / compression / "videos"
        rows += [(str(p.relative_to(root)), "FAKE", method) for p in sorted(folder.glob("*.mp4"))]
    return rows


def celebdf_rows(root: Path) -> list[tuple[str, str, str]]:
    rows = []
    for line in (root / "List_of_testing_videos.txt").read_text().splitlines():
        parts = line.split()
        if len(parts) != 2:
            continue
        flag, rel = parts
        rows.append((rel, "REAL" if flag == "1" else "FAKE", rel.split("/")[0]))
    return rows


def write_tsv(rows: list[tuple[str, str, str]], out: Path) -> Path:
    out.write_text("file\tlabel\tgroup\n" + "".join(f"{f}\t{lab}\t{g}\n" for f, lab, g in rows))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m lda_model.datasets", description=__doc__.split("\n\n")[0])
    p.add_argument("dataset", choices=["ffpp", "celebdf"])
    p.add_argument("root")
    p.add_argument("--compression", default="c23", help="FF++ quality folder: raw, c23 or c40")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    root = Path(args.root)
    try:
        rows = ffpp_rows(root, args.compression) if args.dataset == "ffpp" else celebdf_rows(root)
    except FileNotFoundError as err:
        print(f"error: {err.filename} not found: is {root} a {args.dataset} folder?", file=sys.stderr)
        return 1
    if not rows:
        print(f"error: no clips found under {root} in the {args.dataset} layout", file=sys.stderr)
        return 1
    write_tsv(rows, Path(args.out))
    print(f"{len(rows)} clips ({sum(r[1] == 'FAKE' for r in rows)} fake) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
