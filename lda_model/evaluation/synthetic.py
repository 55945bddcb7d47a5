"""Held-out synthesized forgeries: detection AUC over identities never trained on, and whether the
attention rises on the blended patches.

Each item of the split is scored as a real "video" (mean over its segments) and as a fake one (every
segment forged by `forgery.forge_clip` with a seed fixed per item). `seeds` > 1 forges each item
several times against its one real score: the pooled AUC is the mean of the per-seed AUCs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..data.dataset import mask_to_grid
from ..data.forgery import forge_clip, wants_swap
from ..data.store import SegmentStore
from ..inference.quality import face_quality
from ..inference.scoring import score_clips, score_clips_with_attention
from ..model.detector import LDADetector
from .metrics import auc_by_quantile, binary_metrics, bootstrap_auc_interval, fakes_by_group, metrics_by_group, rank_auc

SOURCE_NAMES = {"video": "clip", "image": "photo"}  # cache item kind -> name in `video_by_source`


def forge_item(store: SegmentStore, item: int, seed: int, need: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every segment of one cache item forged with `seed` (swaps take a donor of another identity
    of the split): fakes (K, need, S, S, 3) uint8, their blend masks (K, need, S, S) and each
    fake's "kind/temporal mode"."""
    segs, lms = store.crops[item][:, :need], store.landmarks[item][:, :need]
    rng = np.random.default_rng([seed, item])
    fakes, masks, kinds = [], [], []
    for k in range(len(segs)):
        donor = None
        if wants_swap(rng) and len(store.crops) > 1:
            j = int(rng.integers(len(store.crops)))
            if store.identities[j] != store.identities[item]:
                donor = (store.crops[j][0, :need], store.landmarks[j][0, :need].astype(np.float32))
        f, m, desc = forge_clip(segs[k], lms[k].astype(np.float32), rng, donor=donor)
        fakes.append(f)
        masks.append(m)
        kinds.append(f"{desc['kind']}/{desc['temporal']}")
    return np.stack(fakes), np.stack(masks), kinds


def attention_rise(fake: np.ndarray, real: np.ndarray, blended: np.ndarray, threshold: float = 0.5) -> dict:
    """Does the attention rise where a fake was blended? fake, real: (K, g, g) attention on the
    fake segment and on the real segment it was forged from (same frames, same patches);
    blended: (K, g, g) the fraction of each patch that was blended. Patches blended at least
    `threshold` count: `patch_auc` = AUC of their attention in the fake against the same patches
    in the real (0.5 = no change, < 0.5 = it drops), `rise_rate` = share of segments whose mean
    attention over those patches is higher in the fake. `within_auc` asks where *inside* the fake
    the attention is: per fake segment, the AUC of its blended patches against its untouched ones
    (blended fraction 0), averaged over segments; a map that only says "fake" everywhere scores 0.5
    there, however well it separates fakes from reals (which `patch_auc` also rewards).
    `within_auc_real` is the same AUC on the real face with the same regions: a map that is simply
    brighter on the face than around it scores high on both, so localizing the forgery is the
    difference between the two."""
    keep = blended >= threshold  # (K, g, g)
    segs = keep.any(axis=(1, 2))
    if not segs.any():
        return {"patch_auc": float("nan"), "rise_rate": float("nan"), "segments": 0, "patches": 0}
    f, r = fake[keep], real[keep]
    auc = binary_metrics(np.r_[np.zeros(len(r)), np.ones(len(f))], np.r_[r, f])["auc"]
    per_seg = [(fake[k][keep[k]].mean() > real[k][keep[k]].mean()) for k in np.flatnonzero(segs)]
    untouched = blended <= 0  # (K, g, g)

    def within(att: np.ndarray) -> float:
        aucs = [rank_auc(np.r_[np.zeros(int(untouched[k].sum())), np.ones(int(keep[k].sum()))],
                         np.r_[att[k][untouched[k]], att[k][keep[k]]]) for k in np.flatnonzero(segs) if untouched[k].any()]
        return round(float(np.mean(aucs)), 4) if aucs else float("nan")

    return {"patch_auc": round(float(auc), 4), "rise_rate": round(float(np.mean(per_seg)), 4),
            "within_auc": within(fake), "within_auc_real": within(real),
            "segments": int(segs.sum()), "patches": int(keep.sum())}


@dataclass
class Scores:
    """Every score an evaluation collects, in the order they were made (one real video per item, then
    one fake video per seed)."""
    scores: list[float] = field(default_factory=list)  # per video
    names: list[str] = field(default_factory=list)  # "<item>" for a real, "<item> seed <s>: <kind>" for a fake
    videos: list[dict] = field(default_factory=list)  # {"item", "identity", "seed" (None for the real), "label"}
    sources: list[str] = field(default_factory=list)  # per video: "clip" or "photo"
    quality: list[str] = field(default_factory=list)  # per video: "cautioned" when the real face draws the caution
    seg_labels: list[int] = field(default_factory=list)  # every segment of every item (a clip item has many)
    seg_scores: list[float] = field(default_factory=list)
    changes: list[float] = field(default_factory=list)  # per fake segment: mean |fake - real| (0..255)
    per_kind: dict[str, list[float]] = field(default_factory=dict)  # "kind/temporal" -> fake segment scores
    blend: dict[str, list[tuple]] = field(default_factory=dict)  # attention kind -> [(fake, real, blended)]

    def add_video(self, name: str, video: dict, segment_scores: np.ndarray) -> None:
        self.scores.append(float(segment_scores.mean()))
        self.names.append(name)
        self.videos.append(video)
        self.seg_labels += [video["label"]] * len(segment_scores)
        self.seg_scores += [float(v) for v in segment_scores]


def add_blend_parts(parts: dict[str, list[tuple]], fake_att: dict, real_att: dict, masks: np.ndarray, grid: int) -> None:
    """Append (fake attention, real attention, blended fraction) per attention kind for `attention_rise`."""
    blended = mask_to_grid(masks[:, 0], grid)  # (K, g, g): frame t's blended fraction per patch
    for name, att in fake_att.items():
        parts.setdefault(name, []).append((att, real_att[name], blended))


def blend_attention(detector: LDADetector, data: str | Path, split: str = "test", seed: int = 0,
                    with_grad_cam: bool = True) -> dict[str, dict]:
    """Does frame t's attention rise on the blended patches? Per attention kind (gates, activations,
    Grad-CAM): `attention_rise` over every segment of the split, each forged once with `seed`."""
    store = SegmentStore(data, split)
    need, grid = detector.config.clip_length, detector.config.grid_size
    parts: dict[str, list[tuple]] = {}
    for item in range(len(store.crops)):
        _, real_att = score_clips_with_attention(detector, store.crops[item][:, :need], with_grad_cam=with_grad_cam)
        fakes, masks, _ = forge_item(store, item, seed, need)
        add_blend_parts(parts, score_clips_with_attention(detector, fakes, with_grad_cam=with_grad_cam)[1], real_att,
                        masks, grid)
    return {name: attention_rise(*(np.concatenate(x) for x in zip(*ps))) for name, ps in parts.items()}


def score_item(detector: LDADetector, store: SegmentStore, item: int, seeds: range, acc: Scores) -> None:
    """One item of the split: its real segments, then every segment forged with each seed."""
    need, grid = detector.config.clip_length, detector.config.grid_size
    segs = store.crops[item][:, :need]
    base = {"item": store.names[item], "identity": store.identities[item]}
    real, real_att = score_clips_with_attention(detector, segs)
    acc.add_video(store.names[item], {**base, "seed": None, "label": 0}, real)
    for s in seeds:
        fakes, masks, kinds = forge_item(store, item, s, need)
        acc.changes += [float(v) for v in np.abs(fakes.astype(np.float32) - segs.astype(np.float32)).mean(axis=(1, 2, 3, 4))]
        fake, fake_att = score_clips_with_attention(detector, fakes)
        add_blend_parts(acc.blend, fake_att, real_att, masks, grid)
        acc.add_video(f"{store.names[item]} seed {s}: {kinds[0]}", {**base, "seed": s, "label": 1}, fake)
        for kd, v in zip(kinds, fake):
            acc.per_kind.setdefault(kd, []).append(float(v))
    acc.sources += [SOURCE_NAMES[store.kinds[item]]] * (1 + len(seeds))
    # the caution predict and the app would print for this face (frame t of every segment)
    acc.quality += ["cautioned" if face_quality(store.crops[item][:, 0]).notes() else "ok"] * (1 + len(seeds))


def evaluate_synthetic(detector: LDADetector, weights: str, data: str | Path, split: str = "test", seed: int = 0,
                       seeds: int = 1) -> dict:
    """Held-out identities of a `prepare` cache: each item scored as a real video and, per seed, as a
    fake one (every segment forged); see `python -m lda_model.evaluate synthetic` for the fields."""
    store = SegmentStore(data, split)
    seed_range = range(seed, seed + seeds)
    acc = Scores()
    for item in range(len(store.crops)):
        score_item(detector, store, item, seed_range, acc)
    labels, scores = np.array([v["label"] for v in acc.videos]), np.array(acc.scores)  # per video: 0 real, 1 fake
    reals = scores[labels == 0]  # one video score per item
    by_seed = {s: scores[[v["seed"] == s for v in acc.videos]] for s in seed_range}
    seg, lab = np.array(acc.seg_scores), np.array(acc.seg_labels)  # (segments,) fakes in the order of `changes`
    out = {"weights": weights, "split": split, "items": len(store.names), "identities": len(set(store.identities)),
           "seeds": list(seed_range),
           # every real item against every seed's fakes: the AUC is the mean of the per-seed AUCs
           "video": binary_metrics(labels, scores),
           # identities resampled with replacement: how far the video AUC could move on another sample of
           # held-out people of this size (a checkpoint-vs-checkpoint question is `python -m tools.compare`)
           "video_auc_ci95": bootstrap_auc_interval(labels.tolist(), acc.scores, [v["identity"] for v in acc.videos]),
           "video_auc_by_seed": {s: round(binary_metrics(np.r_[np.zeros(len(reals)), np.ones(len(v))], np.r_[reals, v])["auc"], 4)
                                 for s, v in by_seed.items()},
           "segment": binary_metrics(lab, seg),
           "mean_fake_score_by_kind": {k: round(float(np.mean(v)), 4) for k, v in sorted(acc.per_kind.items())},
           # does the score follow how visible a fake is? terciles of pixel change, segment AUC vs all reals
           "segment_by_pixel_change": auc_by_quantile(np.array(acc.changes), seg[lab == 1], seg[lab == 0]),
           # photo-only identities (a still, animated) vs tracked clips: which items move the video AUC
           "video_by_source": metrics_by_group(acc.sources, labels, scores),
           # items whose real face draws the quality caution (inference/quality.py) vs the others: how good are
           # the verdicts that come without a caution? (a diagnostic: `video` above is the number)
           "video_by_quality": metrics_by_group(acc.quality, labels, scores),
           # where the errors are: the real items scored highest and the fakes scored lowest, by name
           **hardest(acc.names, labels.tolist(), acc.scores),
           # does the attention on frame t rise where the fake was blended (vs the same patches of its real)?
           "blend_attention": {name: attention_rise(*(np.concatenate(x) for x in zip(*ps))) for name, ps in acc.blend.items()}}
    labelled = labelled_fakes(detector, data, split, detector.config.clip_length, reals.tolist())
    if labelled:
        out["labelled_fakes"] = labelled
    # every video score, for `python -m tools.compare` (pairs two checkpoints' runs by item and seed)
    out["videos"] = [{**v, "score": round(s, 6)} for v, s in zip(acc.videos, acc.scores)]
    return out


def hardest(names: list[str], labels: list[int], scores: list[float], k: int = 5) -> dict[str, list]:
    """The k real videos with the highest p(fake) and the k fakes with the lowest, as [name, score]:
    the items an AUC below 1 comes from."""
    rows = sorted(zip(scores, labels, names))
    reals = [[n, round(s, 4)] for s, lab, n in reversed(rows) if lab == 0][:k]
    fakes = [[n, round(s, 4)] for s, lab, n in rows if lab == 1][:k]
    return {"hardest_reals": reals, "hardest_fakes": fakes}


def labelled_fakes(detector: LDADetector, data: str | Path, split: str, need: int, real_scores: list[float]) -> dict | None:
    """The split's labelled fakes (`prepare --labels`, e.g. FF++'s manipulated clips) against its real
    items, video level (mean over a clip's segments): all fakes, then each group (method) on its
    own against all reals; None when the split has none."""
    try:
        store = SegmentStore(data, split, labels=(1,))  # the fakes alone: the reals are scored already
    except ValueError:  # no labelled fake in this split (a cache of real faces): nothing loaded
        return None
    scores = np.array([score_clips(detector, crops[:, :need]).mean() for crops in store.crops])  # one per fake clip
    groups = np.array(store.groups)
    reals = np.asarray(real_scores)

    labels = np.r_[np.zeros(len(reals)), np.ones(len(scores))]
    return {"fakes": len(scores), "reals": len(reals), "video": binary_metrics(labels, np.r_[reals, scores]),
            "by_group": fakes_by_group(np.r_[np.full(len(reals), ""), groups], labels, np.r_[reals, scores])}
