"""`SegmentStore`: one split of a `prepare` cache (face crops + landmarks per segment) in memory."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class Segment:
    item: int
    index: int


class SegmentStore:
    """One split of a `prepare` cache in memory: the items whose label is in `labels` — real ones
    (0) by default; training also loads the labelled fakes a label file brought in (`prepare
    --labels`, index `label` 1) and draws them as fakes as they are. `segments` are all loaded
    segments, `real_segments` / `fake_segments` split them by label, `segments_by_kind` the real
    ones by kind."""

    def __init__(self, root: str | Path, split: str, kinds: tuple[str, ...] = ("video", "image"),
                 labels: tuple[int, ...] = (0,)) -> None:
        root = Path(root)
        index = json.loads((root / "index.json").read_text())
        self.names, self.identities, self.kinds, self.labels, self.groups = [], [], [], [], []
        self.crops, self.landmarks = [], []
        for name, meta in sorted(index.items()):
            label = int(meta.get("label", 0))  # caches of real faces carry no label: all real
            if meta["split"] != split or meta["kind"] not in kinds or label not in labels:
                continue
            with np.load(root / "items" / f"{name}.npz") as z:
                self.crops.append(z["crops"])  # (K, L, S, S, 3) uint8
                self.landmarks.append(z["landmarks"])  # (K, L, 478, 2) float16
            self.names.append(name)
            self.identities.append(meta["identity"])
            self.kinds.append(meta["kind"])  # "video" (a tracked clip) or "image" (a photo, animated)
            self.labels.append(label)
            self.groups.append(meta.get("group", ""))  # e.g. the FF++ method of a labelled clip
        if not self.names:
            raise ValueError(f"no {split} items in {root}")
        self.segments = [Segment(i, k) for i, c in enumerate(self.crops) for k in range(len(c))]
        self.real_segments = [s for s in self.segments if not self.labels[s.item]]
        self.fake_segments = [s for s in self.segments if self.labels[s.item]]
        self.segments_by_kind: dict[str, list[Segment]] = {}  # "video" / "image" -> that kind's real segments
        for seg in self.real_segments:
            self.segments_by_kind.setdefault(self.kinds[seg.item], []).append(seg)
        self.segment_length = self.crops[0].shape[1]

    def __len__(self) -> int:
        return len(self.segments)
