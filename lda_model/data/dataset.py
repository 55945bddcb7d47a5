"""Training data: prepared real segments (see `prepare`) + forgeries synthesized on the fly.

`SegmentStore` (store.py) holds one split's crops and landmarks in memory. `SynthClips` is a map-style
dataset whose item i is fully determined by (seed, epoch, i): even items are real clips, odd
items fakes (balanced batches), each `n+1` consecutive frames of a random segment. Fakes come
from `forgery.forge_clip` (self-blends, and swaps with a donor of *another identity* of the
same split). Both classes then get the same augmentation, identical for every frame of a clip:
scale/shift jitter, horizontal flip, brightness/contrast and JPEG re-compression, so that no
processing difference separates real from fake.

`mask_grid=g` adds a third element to every item: the blend mask after the same crop and flip,
as the blended fraction of each of the g x g LDA patches, per frame (zeros for a real clip); the
target of `train --mask-loss`.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from ..inference.transforms import crops_to_tensor
from .forgery import REGION_MIXES, forge_clip, match_blend, wants_swap
from .store import Segment, SegmentStore


def augment_clip(frames: np.ndarray, size: int, rng: np.random.Generator, strength: float = 1.0,
                 masks: np.ndarray | None = None,
                 compress: float = 0.0) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """The same random crop/flip/colour/JPEG for every frame of (T, S, S, 3) -> (T, size, size, 3).

    With probability `compress` the clip is then made like a small, heavily compressed video (FF++
    c40, a DFDC phone clip): shrunk to 30-70 % of `size`, JPEG-coded at quality 15-50 and enlarged
    back, the same for every frame and for reals and fakes alike, so blockiness and blur are no
    evidence either way. With 0 nothing more is drawn (the streams of earlier runs are unchanged).

    With `masks` (T, S, S) float (a fake's blend masks), returns (frames, masks (T, size, size)):
    the masks follow the crop and flip, not the colour or JPEG changes. The random draws are
    the same with or without masks.

    """
    t, s = frames.shape[0], frames.shape[1]
    scale = 1 + strength * rng.uniform(-0.08, 0.08)
    side = min(s, s / scale)
    cx = s / 2 + strength * rng.uniform(-0.04, 0.04) * s
    cy = s / 2 + strength * rng.uniform(-0.04, 0.04) * s
    m = np.array([[size / side, 0, size / 2 - size / side * cx], [0, size / side, size / 2 - size / side * cy]])
    flip = rng.random() < 0.5
    alpha = 1 + strength * rng.uniform(-0.15, 0.15)
    beta = strength * rng.uniform(-15, 15)
    quality = int(rng.integers(60, 96)) if rng.random() < 0.7 * strength else None
    low = (float(rng.uniform(0.3, 0.7)), int(rng.integers(15, 51))) if compress > 0 and rng.random() < compress else None
    interp = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    out = np.empty((t, size, size, 3), dtype=np.uint8)
    for k in range(t):
        f = cv2.warpAffine(frames[k], m, (size, size), flags=interp, borderMode=cv2.BORDER_REFLECT)
        if flip:
            f = f[:, ::-1]
        f = cv2.convertScaleAbs(f, alpha=alpha, beta=beta)
        if quality is not None:
            f = jpeg(f, quality)
        out[k] = f if low is None else compress_frame(f, *low)
    if masks is None:
        return out
    warped = np.stack([cv2.warpAffine(mk.astype(np.float32), m, (size, size), flags=interp,
                                      borderMode=cv2.BORDER_REFLECT) for mk in masks])  # (T, size, size)
    if flip:
        warped = warped[:, :, ::-1]
    return out, np.ascontiguousarray(warped)


def jpeg(frame: np.ndarray, quality: int) -> np.ndarray:
    """(H, W, 3) uint8 -> the same frame after a JPEG round trip at `quality`."""
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)


def compress_frame(frame: np.ndarray, scale: float, quality: int) -> np.ndarray:
    """(H, W, 3) uint8 -> the same size, as if stored at `scale` of its side with JPEG `quality`."""
    h, w = frame.shape[:2]
    small = cv2.resize(frame, (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA)
    return cv2.resize(jpeg(small, quality), (w, h), interpolation=cv2.INTER_LINEAR)


def mask_to_grid(masks: np.ndarray, grid: int) -> np.ndarray:
    """(T, S, S) blend masks in [0, 1] -> (T, grid, grid): the mean of each patch (area resampling),
    i.e. the fraction of the LDA patch that was blended, its target under `train --mask-loss`."""
    return np.stack([cv2.resize(mk, (grid, grid), interpolation=cv2.INTER_AREA) for mk in masks]).clip(0, 1)


class EpochSampler(Sampler):
    """Yields (epoch, index) for fixed `indices`, in order, with the epoch set by `set_epoch` in the
    training process: with `SynthClips` it lets one DataLoader with persistent workers serve every
    epoch (the workers keep their copy of the dataset, so a `set_epoch` on it would not reach them)."""

    def __init__(self, indices: list[int]) -> None:
        self.indices, self.epoch = list(indices), 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.indices)

    def __iter__(self):
        return iter([(self.epoch, i) for i in self.indices])


class SynthClips(Dataset):
    """Balanced real / synthesized-fake clips. Item = (clip (n+1, 3, S, S) float, label float), plus the
    per-patch blend target (n+1, g, g) when `mask_grid` is set.

    Sources are drawn uniformly over segments, so a tracked clip (many segments) is drawn far more
    often than a photo (one).

    A store with labelled fakes (`SegmentStore(..., labels=(0, 1))` on a `prepare --labels` cache,
    e.g. FaceForensics++) is the paper's protocol: a fake item is then a labelled fake's segment
    (uniform over fake segments, so over methods in proportion to their clips), as it is, with
    the same augmentation as a real one; `synth_share` is the probability that a fake is
    synthesized from a real segment instead (default: 0 with labelled fakes, 1 without; with 1
    nothing more is drawn, so runs on real faces alone keep their streams)."""

    def __init__(self, store: SegmentStore, clip_length: int, size: int, length: int, seed: int = 0,
                 augment: float = 1.0, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), mask_grid: int | None = None,
                 synth_share: float | None = None, regions: str = "whole", compress: float = 0.0,
                 colour_match: float = 0.0) -> None:
        if regions not in REGION_MIXES:
            raise ValueError(f"regions must be one of {sorted(REGION_MIXES)}, got {regions!r}")
        if clip_length > store.segment_length:
            raise ValueError(f"segments hold {store.segment_length} frames, clips need {clip_length}")
        if synth_share is None:  # labelled fakes, when the split has them; else synthesized ones
            synth_share = 0.0 if store.fake_segments else 1.0
        if not 0.0 <= synth_share <= 1.0:
            raise ValueError(f"synth_share must be in [0, 1], got {synth_share}")
        if synth_share < 1 and not store.fake_segments:
            raise ValueError(f"synth_share={synth_share} draws labelled fakes, but this split has none "
                             "(a cache of real faces only: prepare it with --labels to add fakes)")
        if not store.real_segments:
            raise ValueError(f"this split has no real items ({len(store.segments)} segments, all labelled fakes)")
        if synth_share < 1 and mask_grid is not None:
            raise ValueError("the mask loss needs synthesized fakes (a labelled fake has no blend mask): "
                             "use synth_share=1")
        self.synth_share = synth_share  # probability that a fake is synthesized rather than a labelled one
        self.store, self.clip_length, self.size, self.length = store, clip_length, size, length
        self.seed, self.augment, self.mean, self.std = seed, augment, mean, std
        self.compress = compress  # augment_clip: probability of a small, heavily compressed clip
        self.colour_match = colour_match  # probability that a synthesized fake is colour-matched (forgery.match_blend)
        self.regions = regions  # forgery.REGION_MIXES: which landmark hulls the synthesized fakes blend
        self.mask_grid = mask_grid  # set: items are (clip, label, per-patch blend fraction (n+1, g, g))
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.length

    def pick_segment(self, rng: np.random.Generator) -> Segment:
        """One real source segment, uniform over segments."""
        pool = self.store.real_segments
        return pool[int(rng.integers(len(pool)))]

    def _window(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """A random run of `clip_length` frames of a segment: frames (T, S, S, 3), landmarks (T, 478, 2)."""
        st = self.store
        off = int(rng.integers(st.segment_length - self.clip_length + 1))
        sl = slice(off, off + self.clip_length)
        return st.crops[seg.item][seg.index, sl], st.landmarks[seg.item][seg.index, sl].astype(np.float32)

    def _pick(self, rng: np.random.Generator, avoid_identity: str | None = None):
        st = self.store
        for _ in range(20):
            seg = self.pick_segment(rng)
            if avoid_identity is None or st.identities[seg.item] != avoid_identity:
                break
        return *self._window(seg, rng), st.identities[seg.item]

    def __getitem__(self, i: int | tuple[int, int]):
        """Item i of the current epoch (`set_epoch`), or of epoch e when given (e, i): `EpochSampler`
        sends the epoch with each index, so persistent loader workers need no `set_epoch`."""
        epoch, i = (int(i[0]), int(i[1])) if isinstance(i, (tuple, list)) else (self.epoch, int(i))
        return self._item(epoch, i)

    def _item(self, epoch: int, i: int):
        label = i % 2
        rng = np.random.default_rng([self.seed, epoch, i])  # one stream: the item is a function of (seed, epoch, i)
        if label and self.synth_share < 1 and (self.synth_share == 0 or rng.random() >= self.synth_share):
            seg = self.store.fake_segments[int(rng.integers(len(self.store.fake_segments)))]
            frames, _ = self._window(seg, rng)  # a labelled fake as it is
            frames = augment_clip(frames, self.size, rng, self.augment, compress=self.compress)
            return crops_to_tensor(frames, self.size, self.mean, self.std), torch.tensor(1.0)
        frames, lms, identity = self._pick(rng)
        masks = None  # a fake's blend masks (T, S, S)
        if label:
            donor = None
            if wants_swap(rng):
                d_frames, d_lms, _ = self._pick(rng, avoid_identity=identity)
                donor = (d_frames, d_lms)
            real = frames
            frames, masks, _ = forge_clip(frames, lms, rng, donor=donor, regions=self.regions)
            # its own draw, so the item's stream (fake, augmentation) is the same with or without matching
            if self.colour_match > 0 and np.random.default_rng([self.seed, epoch, i, 1]).random() < self.colour_match:
                frames = match_blend(frames, real, masks)
        clip_label = torch.tensor(float(label))
        if self.mask_grid is None:
            frames = augment_clip(frames, self.size, rng, self.augment, compress=self.compress)
            return crops_to_tensor(frames, self.size, self.mean, self.std), clip_label
        if masks is None:  # a real clip has no blended pixel
            masks = np.zeros(frames.shape[:3], dtype=np.float32)
        frames, masks = augment_clip(frames, self.size, rng, self.augment, masks=masks, compress=self.compress)
        target = torch.from_numpy(mask_to_grid(masks, self.mask_grid))  # (n+1, g, g)
        return crops_to_tensor(frames, self.size, self.mean, self.std), clip_label, target
