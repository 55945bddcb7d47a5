"""Held-out synthesized forgeries: detection AUC over identities never trained on, and whether the
attention rises on the blended patches.

Each item of the split is scored as a real "video" (mean over its segments) and as a fake one (every
segment forged by `forgery.forge_clip` with a seed fixed per item). `seeds` > 1 forges each item
several times against its one real score: the pooled AUC is the mean of the per-seed AUCs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data.dataset import mask_to_grid
from ..data.forgery import forge_clip, wants_swap
from ..data.store import SegmentStore
from ..inference.quality import face_quality
from ..inference.scoring import score_clips, score_clips_with_attention
from ..model.detector import LDADetector
from .metrics import auc_by_quantile, binary_metrics, bootstrap_auc_interval, fakes_by_group, metrics_by_group

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
    attention over those patches is higher in the fake."""
    keep = blended >= threshold  # (K, g, g)
    segs = keep.any(axis=(1, 2))
    if not segs.any():
        return {"patch_auc": float("nan"), "rise_rate": float("nan"), "segments": 0, "patches": 0}
    f, r = fake[keep], real[keep]
    auc = binary_metrics(np.r_[np.zeros(len(r)), np.ones(len(f))], np.r_[r, f])["auc"]
    per_seg = [(fake[k][keep[k]].mean() > real[k][keep[k]].mean()) for k in np.flatnonzero(segs)]
    return {"patch_auc": round(float(auc), 4), "rise_rate": round(float(np.mean(per_seg)), 4),
            "segments": int(segs.sum()), "patches": int(keep.sum())}


def evaluate_synthetic(detector: LDADetector, weights: str, data: str | Path, split: str = "test", seed: int = 0,
                       seeds: int = 1) -> dict:
    """Held-out identities of a `prepare` cache: each item scored as a real video and, per seed, as a
    fake one (every segment forged); see `python -m lda_model.evaluate synthetic` for the fields."""
    store = SegmentStore(data, split)
    need, grid = detector.config.clip_length, detector.config.grid_size
    blend: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}  # attention kind -> (fake, real, blended)
    seeds = range(seed, seed + seeds)
    scores, sources, per_kind = [], [], {}  # per item: its real, then one fake per seed
    names = []  # per video score: "<item>" for a real, "<item> seed <s>: <kind of its first segment>" for a fake
    videos = []  # per video score: {"item", "identity", "seed" (None for the real), "label", "score"}
    quality = []  # per video score: "cautioned" when its real face is darker or softer than the training faces
    fake_by_seed: dict[int, list[float]] = {s: [] for s in seeds}  # video fake score per item, per seed
    seg_labels, seg_scores = [], []  # every segment of every item (a clip item has many)
    changes = []  # per fake segment: mean |fake - real| over all its pixels (0..255)
    for item, crops in enumerate(store.crops):
        segs = crops[:, :need]
        real, real_att = score_clips_with_attention(detector, segs)
        scores.append(float(real.mean()))
        names.append(store.names[item])
        videos.append({"item": store.names[item], "identity": store.identities[item], "seed": None, "label": 0})
        seg_labels += [0] * len(real)
        seg_scores += [float(v) for v in real]
        for s in seeds:
            fakes, masks, kinds = forge_item(store, item, s, need)
            changes += [float(v) for v in np.abs(fakes.astype(np.float32) - segs.astype(np.float32)).mean(axis=(1, 2, 3, 4))]
            fake, fake_att = score_clips_with_attention(detector, fakes)
            blended = mask_to_grid(masks[:, 0], grid)  # (K, g, g): frame t's blended fraction per patch
            for name, att in fake_att.items():
                blend.setdefault(name, []).append((att, real_att[name], blended))
            scores.append(float(fake.mean()))
            names.append(f"{store.names[item]} seed {s}: {kinds[0]}")
            videos.append({"item": store.names[item], "identity": store.identities[item], "seed": s, "label": 1})
            fake_by_seed[s].append(float(fake.mean()))
            seg_labels += [1] * len(fake)
            seg_scores += [float(v) for v in fake]
            for kd, v in zip(kinds, fake):
                per_kind.setdefault(kd, []).append(float(v))
        sources += [SOURCE_NAMES[store.kinds[item]]] * (1 + len(seeds))
        # the caution predict and the app would print for this face (frame t of every segment)
        quality += ["cautioned" if face_quality(crops[:, 0]).notes() else "ok"] * (1 + len(seeds))
    labels = [v["label"] for v in videos]  # per video score: 0 real, 1 fake
    reals = [s for lab, s in zip(labels, scores) if lab == 0]  # one video score per item
    labelled = labelled_fakes(detector, data, split, need, reals)
    seg, lab = np.array(seg_scores), np.array(seg_labels)  # (segments,) fakes in the order of `changes`
    out = {"weights": weights, "split": split, "items": len(store.names),
           "identities": len(set(store.identities)),
           "seeds": list(seeds),
           # every real item against every seed's fakes: the AUC is the mean of the per-seed AUCs
           "video": binary_metrics(np.array(labels), np.array(scores)),
           # identities resampled with replacement: how far the video AUC could move on another sample of
           # held-out people of this size (a checkpoint-vs-checkpoint question is `python -m tools.compare`)
           "video_auc_ci95": bootstrap_auc_interval(labels, scores, [v["identity"] for v in videos]),
           "video_auc_by_seed": {s: round(binary_metrics(np.r_[np.zeros(len(reals)), np.ones(len(v))], np.r_[reals, v])["auc"], 4)
                                 for s, v in fake_by_seed.items()},
           "segment": binary_metrics(lab, seg),
           "mean_fake_score_by_kind": {k: round(float(np.mean(v)), 4) for k, v in sorted(per_kind.items())},
           # does the score follow how visible a fake is? terciles of pixel change, segment AUC vs all reals
           "segment_by_pixel_change": auc_by_quantile(np.array(changes), seg[lab == 1], seg[lab == 0]),
           # photo-only identities (a still, animated) vs tracked clips: which items move the video AUC
           "video_by_source": metrics_by_group(sources, np.array(labels), np.array(scores)),
           # items whose real face draws the quality caution (lda_model/inference/quality.py) vs the others: how good are
           # the verdicts that come without a caution? (a diagnostic: `video` above is the number)
           "video_by_quality": metrics_by_group(quality, np.array(labels), np.array(scores)),
           # where the errors are: the real items scored highest and the fakes scored lowest, by name
           **hardest(names, labels, scores),
           # does the attention on frame t rise where the fake was blended (vs the same patches of its real)?
           "blend_attention": {name: attention_rise(*(np.concatenate(x) for x in zip(*parts)))
                               for name, parts in blend.items()}}
    if labelled:
        out["labelled_fakes"] = labelled
    # every video score, for `python -m tools.compare` (pairs two checkpoints' runs by item and seed)
    out["videos"] = [{**v, "score": round(s, 6)} for v, s in zip(videos, scores)]
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
