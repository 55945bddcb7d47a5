"""Identity-disjoint train / val / test splits, and label files that fix them.

Two sources of a split:
- `assign_splits`: ranked by sha1(identity), 10 % of the identities to test and 10 % to val, per
  group (clip identities first, then photo-only ones). `prepare` uses it for unlabelled folders.
- a label file (`LabelRow`, the TSV `python -m lda_model.data.labels` writes and `evaluate` and
  `prepare --labels` read): `file  label  group  identity  split`. A row whose `split` is set
  keeps it (FaceForensics++'s official split, Celeb-DF's test list); the other rows' identities
  are assigned with `assign_splits`. `resolve_splits` does that, so `prepare --labels` and
  `evaluate --split` agree on which clip is where without sharing any other state.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

SPLITS = ("train", "val", "test")
LABEL_COLUMNS = ("file", "label", "group", "identity", "split")


def _held_out(n: int, fraction: float) -> int:
    return max(1, round(n * fraction)) if n >= 3 else 0


def assign_splits(*groups: list[str], fraction: float = 0.1, placed: dict[str, str] | None = None,
                  held: tuple[str, ...] = ("test", "val"), fold: int = 0) -> dict[str, str]:
    """Identity -> "train" / "val" / "test", identity-disjoint and stratified by group.

    Each group (e.g. identities that have clips, then photo-only ones) is ranked by
    sha1(identity); the first `fraction` (at least one once a group has 3) go to the first `held`
    split (test), the next to the second (val), the rest to train. An identity already placed
    (`placed`, or an earlier group) keeps its split. Deterministic and independent of input
    order; adding identities can move others.

    `fold` F > 0 holds out the next block of the same ranking instead (ranks from F x len(held) x
    `fraction` on): folds 0, 1, ... have disjoint held-out people, for cross-validating a recipe
    (fold 0 is the split every bundled checkpoint trained on). A fold whose block starts past the
    end of a group that has held-out identities is an error.
    """
    if fold < 0:
        raise ValueError(f"fold {fold}: folds count from 0")
    out: dict[str, str] = dict(placed or {})
    for group in groups:
        ranked = sorted({i for i in group if i not in out}, key=lambda i: hashlib.sha1(i.encode()).hexdigest())
        k = _held_out(len(ranked), fraction)
        start = fold * len(held) * k  # first rank of this fold's held-out block
        if k and start >= len(ranked):
            raise ValueError(f"fold {fold}: a group of {len(ranked)} identities has only "
                             f"{-(-len(ranked) // (len(held) * k))} folds")
        for r, identity in enumerate(ranked):
            b = (r - start) // k if k and r >= start else len(held)  # block within the fold
            out[identity] = held[b] if b < len(held) else "train"
    return out


@dataclass(frozen=True)
class LabelRow:
    """One clip of a label file. `file` is relative to the file's folder; `identity` defaults to
    the file's stem; an empty `split` is assigned by identity (`resolve_splits`)."""

    file: str
    label: str  # "REAL" or "FAKE"
    group: str = ""  # e.g. the FF++ method, or "original"
    identity: str = ""
    split: str = ""
    dataset: str = ""  # the source dataset (`source_dataset` column), for results per dataset

    @property
    def is_fake(self) -> bool:
        return self.label.strip().upper() == "FAKE"

    @property
    def person(self) -> str:
        return self.identity or Path(self.file).stem


def read_label_file(tsv: str | Path) -> list[LabelRow]:
    """The rows of a label TSV (columns beyond `file` and `label` are optional)."""
    with open(tsv, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f, delimiter="\t")
        missing = {"file", "label"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{tsv}: no {' or '.join(sorted(missing))} column (need tab-separated `file` and `label`)")
        rows = []
        for row in reader:
            split = (row.get("split") or "").strip()
            if split and split not in SPLITS:
                raise ValueError(f"{tsv}: split {split!r} of {row['file']} is not one of {', '.join(SPLITS)}")
            rows.append(LabelRow(row["file"], row["label"], (row.get("group") or "").strip(),
                                 (row.get("identity") or "").strip(), split,
                                 (row.get("source_dataset") or row.get("dataset") or "").strip()))
    return rows


def write_label_file(rows: list[LabelRow], out: str | Path) -> Path:
    out = Path(out)
    out.write_text("\t".join(LABEL_COLUMNS) + "\n"
                   + "".join("\t".join(getattr(r, c) for c in LABEL_COLUMNS) + "\n" for r in rows))
    return out


def resolve_splits(rows: list[LabelRow], fraction: float = 0.1) -> dict[str, str]:
    """file -> split: a row's own split, else its identity's (one identity never straddles two
    splits: an identity that any row fixes takes that split for all its rows), else
    `assign_splits` over the remaining identities, into the held-out splits that no row fixes
    (a file that names its test clips gets no more test clips) and train."""
    placed: dict[str, str] = {}
    for r in rows:
        if r.split:
            if placed.setdefault(r.person, r.split) != r.split:
                raise ValueError(f"identity {r.person!r} is put into both {placed[r.person]} and {r.split}")
    # a split the file defines (Celeb-DF's test list) is the dataset's own: the other rows fill the rest
    held = tuple(s for s in ("test", "val") if s not in {r.split for r in rows})
    splits = assign_splits([r.person for r in rows], fraction=fraction, placed=placed, held=held)
    return {r.file: splits[r.person] for r in rows}
