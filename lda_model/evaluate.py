"""Evaluate a checkpoint: detection ACC/AUC, held-out synthesized forgeries, localization.

    python -m lda_model.evaluate --weights SRC --labels TSV [--split test] [--videos DIR] [--json] [--roc roc.png]
    python -m lda_model.evaluate synthetic --data cache/real_faces [--split test] [--weights SRC] [--json] [--device auto]
    python -m lda_model.evaluate localization --videos DIR [--manifest TSV --split test] [--weights SRC] [--json]

- Detection (default): every clip under DIR listed in TSV (`file` relative to the TSV's folder,
  `label` REAL/FAKE, optional `group`, `identity`, `split`; `--groups a,b` keeps those groups,
  `--split test` the test clips of a dataset's label file, `python -m lda_model.datasets`). Frame level: every
  analysis point of the main track is a sample with its clip's label; video level: the clip's
  score (mean of its main track). Prints ACC (threshold 0.5) and AUC for both; writes the
  video-level ROC curve as a PNG with `--roc`; `video_auc_ci95` is the video AUC's 95 % interval
  when the clips are resampled with replacement (a handful of clips pins an AUC down only loosely).
  `fakes_by_group` scores each group's fakes against every real clip of the run (AUC, mean fake
  score, `detected` = share at or above 0.5): which kind of fake the detector catches.
- synthetic: the identity-disjoint split of a `prepare` cache; each item is scored as a real
  "video" (mean over its segments) and as a fake one (every segment forged by
  `forgery.forge_clip` with a seed fixed per item), so the AUC is over held-out identities.
  `--seeds K` forges each item K times (seeds SEED..SEED+K-1) against its one real score: the
  pooled video AUC is then the mean of the per-seed AUCs (`video_auc_by_seed`), a steadier
  number for comparing checkpoints on a small split. `--device cuda|auto` runs the model on a GPU
  (the paper preset needs one; forging stays on the CPU). `video_auc_ci95` is the 95 % interval of
  the video AUC when the split's identities are resampled with replacement (the luck of which people
  were held out); `videos` lists every video score (item, identity, seed, label), which
  `python -m lda_model.compare A.json B.json` pairs to ask whether one checkpoint beats another.
  `segment` is the same over every segment on its own (a clip item holds many segments, a photo
  one): more samples, but segments of one clip are not independent. `segment_by_pixel_change`
  splits the fake segments into terciles of mean |fake - real| and gives each tercile's segment
  AUC against all real segments: do misses come from fakes that barely change the pixels?
  `video_by_source` gives the video metrics (and mean real / fake score) of the photo-only items
  and the clip items apart, since a split mixes both; `hardest_reals` / `hardest_fakes` name the
  real items scored highest and the fakes scored lowest (item, seed, kind); `video_by_quality`
  the video metrics of the items whose real face draws `predict`'s and the app's quality caution
  (darker or softer than 99 % of the training faces, `quality.py`) and of the others. On a cache with labelled fakes (`prepare
  --labels`, e.g. FF++'s test split) `labelled_fakes` scores them against the split's real items
  (video level, and per group = manipulation method), from the cache, without re-tracking.
- localization (the paper's Fig. 8 as a number): for each clip's analysis points, a defect
  (`blur_mouth`, `red_pupil`, `distort_mouth`) is put on frame t..t+n at the regions the
  landmarks of frame t locate; a hit is when the peak of sum_maps (maps(tampered) -
  maps(original)) (spatial maps + time-reduced temporal maps, on the patch grid) is positive and
  falls on a patch that overlaps the defect region. Also printed: `rise_rate`, how often the mean
  change over the region's patches is positive (attention rose on the defect); see defects.py for
  why the literal hit rate is near 1 for almost any weights of this architecture. Prints
  {"hit_rate", "rise_rate", "n", "chance", "per_defect"}, where chance is the mean fraction of
  patches overlapping the region (a random peak's hit rate).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")

import cv2
import numpy as np
import torch

from .analysis import analyze_video, crops_to_tensor, extract_faces
from .faces import to_crop_coords
from .localization import defect_experiment
from .quality import face_quality
from .splits import read_label_file, resolve_splits
from .metrics import auc_by_quantile, binary_metrics, bootstrap_auc_interval, fakes_by_group, metrics_by_group, roc_points
from .video import VIDEO_EXTS, VideoError
from .weights import WeightsError, load_detector

LOCALIZATION_DEFECTS = ("blur_mouth", "red_pupil", "distort_mouth")
SOURCE_NAMES = {"video": "clip", "image": "photo"}  # cache item kind -> name in `video_by_source`
PER_VIDEO_KEYS = ("clips", "videos")  # every clip's / video's score: in --json (for compare.py), not in summaries


def read_labels(tsv: Path, videos: Path | None, groups: set[str] | None,
                splits: set[str] | None = None) -> list[tuple[Path, int, str]]:
    """(clip path, 1 for FAKE, group) of the label file's clips, kept by folder, group and split
    (a row's `split`, else its identity's by `splits.resolve_splits`, as `prepare --labels` does)."""
    rows = read_label_file(tsv)
    where = resolve_splits(rows) if splits else {}
    out = []
    for row in rows:
        path = (tsv.parent / row.file).resolve()
        if videos is not None and videos.resolve() not in path.parents:
            continue
        if groups and row.group not in groups:
            continue
        if splits and where[row.file] not in splits:
            continue
        if path.suffix.lower() not in VIDEO_EXTS:
            continue
        out.append((path, int(row.is_fake), row.group))
    return out


def draw_roc(path: str, fpr: np.ndarray, tpr: np.ndarray, auc: float, title: str = "") -> None:
    """A plain ROC plot with OpenCV (no plotting dependency)."""
    size, pad = 480, 50
    img = np.full((size + 2 * pad, size + 2 * pad, 3), 255, np.uint8)
    cv2.rectangle(img, (pad, pad), (pad + size, pad + size), (0, 0, 0), 1)
    cv2.line(img, (pad, pad + size), (pad + size, pad), (180, 180, 180), 1)
    pts = np.stack([pad + fpr * size, pad + size - tpr * size], 1).round().astype(np.int32)
    cv2.polylines(img, [pts], False, (200, 60, 20), 2)
    cv2.putText(img, f"{title} AUC = {auc:.3f}", (pad, pad - 15), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1)
    cv2.putText(img, "false positive rate", (pad + size // 3, pad + size + 35), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
    cv2.putText(img, "TPR", (5, pad + size // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
    cv2.imwrite(path, img)


# Short names of the source datasets for results per dataset (the FF++ family: its four methods,
# its originals and the DeepFakeDetection actors).
DATASET_FAMILIES = (("FaceForensics++", "FF++"), ("Celeb-DF", "Celeb-DF"), ("DFDC", "DFDC"), ("UADFV", "UADFV"))


def dataset_family(source: str) -> str:
    return next((short for prefix, short in DATASET_FAMILIES if source.startswith(prefix)), source or "other")


def by_dataset(datasets: list[str], labels: list[int], scores: list[float]) -> dict[str, dict]:
    """Each dataset's fakes against every real clip of the run (as `fakes_by_group`), with the
    clip-bootstrap interval of that AUC; datasets with only real clips are left out."""
    out = fakes_by_group(datasets, np.array(labels), np.array(scores))
    lab, sc, ds = np.array(labels), np.array(scores), np.array(datasets)
    for name, m in out.items():
        sel = (lab == 0) | (ds == name)
        m["n_fake"], m["n_real"] = int(((ds == name) & (lab == 1)).sum()), int((lab == 0).sum())
        m["auc_ci95"] = bootstrap_auc_interval(lab[sel].tolist(), sc[sel].tolist(), list(range(int(sel.sum()))))
    return out


def evaluate_detection(args, detector, info) -> dict:
    try:
        rows = read_labels(Path(args.labels), Path(args.videos) if args.videos else None,
                           set(args.groups.split(",")) if args.groups else None,
                           set(args.split.split(",")) if args.split else None)
    except (OSError, ValueError) as err:
        raise SystemExit(f"error: {err}") from None
    if not rows:
        raise SystemExit("error: no labelled clips matched")
    datasets = {(Path(args.labels).parent / r.file).resolve(): dataset_family(r.dataset)
                for r in read_label_file(Path(args.labels))}
    v_labels, v_scores, f_labels, f_scores, per_clip, skipped = [], [], [], [], [], []
    for path, label, group in rows:
        try:
            res = analyze_video(path, detector, weights=info.source, num_points=args.points)
        except VideoError as err:
            skipped.append({"video": str(path), "reason": str(err)})
            continue
        if res.main_track is None:
            skipped.append({"video": str(path), "reason": "no face"})
            continue
        probs = [p.fake_probability for p in res.tracks[res.main_track]]
        f_labels += [label] * len(probs)
        f_scores += probs
        v_labels.append(label)
        v_scores.append(res.fake_probability)
        per_clip.append({"video": path.name, "group": group, "dataset": datasets.get(path, "other"), "label": label,
                         "score": round(res.fake_probability, 4)})
    out = {"weights": info.source, "video": binary_metrics(np.array(v_labels), np.array(v_scores)),
           # clips resampled with replacement (each its own cluster): how far the AUC of a few clips could move
           "video_auc_ci95": bootstrap_auc_interval(v_labels, v_scores, list(range(len(v_labels)))),
           "frame": binary_metrics(np.array(f_labels), np.array(f_scores)),
           # per group (e.g. a manipulation method, or fully generated heads): its fakes against every real clip
           "fakes_by_group": fakes_by_group([c["group"] for c in per_clip], v_labels, v_scores),
           "fakes_by_dataset": by_dataset([c["dataset"] for c in per_clip], v_labels, v_scores),
           "skipped": skipped, "clips": per_clip}
    if args.roc and len(set(v_labels)) == 2:
        fpr, tpr = roc_points(np.array(v_labels), np.array(v_scores))
        draw_roc(args.roc, fpr, tpr, out["video"]["auc"], "video-level")
        out["roc"] = args.roc
    return out


def score_clips(detector, clips: np.ndarray, batch: int = 32) -> np.ndarray:
    """clips (N, n+1, S, S, 3) uint8 -> fake probabilities (N,)."""
    return score_clips_with_attention(detector, clips, batch)[0]


@torch.inference_mode()
def score_clips_with_attention(detector, clips: np.ndarray, batch: int = 32) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """clips (N, n+1, S, S, 3) uint8 -> fake probabilities (N,) and frame t's attention (N, g, g) two
    ways: "activations" (`LDAOutput.frame_activation`, the LDA modules' own mean activation) and
    "maps" (`LDAOutput.frame_map`, the mean gating map); an empty dict for a model without attention."""
    cfg = detector.config
    device = next(detector.parameters()).device  # the clips go where the model is (evaluate --device)
    probs, att = [], {}
    for i in range(0, len(clips), batch):
        x = crops_to_tensor(clips[i:i + batch], cfg.backbone_size, cfg.mean, cfg.std).to(device)
        out = detector(x)
        probs.append(out.probabilities.float().cpu().numpy())
        maps = out.frame_map()  # None for a model without attention branches
        if maps is not None:
            att.setdefault("activations", []).append(out.frame_activation().cpu().numpy())
            att.setdefault("maps", []).append(maps.cpu().numpy())
    return (np.concatenate(probs) if probs else np.zeros(0)), {k: np.concatenate(v) for k, v in att.items()}


def forge_item(store, item: int, seed: int, need: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every segment of one cache item forged with `seed` (swaps take a donor of another identity
    of the split): fakes (K, need, S, S, 3) uint8, their blend masks (K, need, S, S) and each
    fake's "kind/temporal mode"."""
    from .forgery import forge_clip

    segs, lms = store.crops[item][:, :need], store.landmarks[item][:, :need]
    rng = np.random.default_rng([seed, item])
    fakes, masks, kinds = [], [], []
    for k in range(len(segs)):
        donor = None
        if rng.random() < 0.4 and len(store.crops) > 1:
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


def evaluate_synthetic(args, detector, info) -> dict:
    from .data import SegmentStore, mask_to_grid

    store = SegmentStore(args.data, args.split)
    need, grid = detector.config.clip_length, detector.config.grid_size
    blend: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}  # attention kind -> (fake, real, blended)
    seeds = range(args.seed, args.seed + args.seeds)
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
        for seed in seeds:
            fakes, masks, kinds = forge_item(store, item, seed, need)
            changes += [float(v) for v in np.abs(fakes.astype(np.float32) - segs.astype(np.float32)).mean(axis=(1, 2, 3, 4))]
            fake, fake_att = score_clips_with_attention(detector, fakes)
            blended = mask_to_grid(masks[:, 0], grid)  # (K, g, g): frame t's blended fraction per patch
            for name, att in fake_att.items():
                blend.setdefault(name, []).append((att, real_att[name], blended))
            scores.append(float(fake.mean()))
            names.append(f"{store.names[item]} seed {seed}: {kinds[0]}")
            videos.append({"item": store.names[item], "identity": store.identities[item], "seed": seed, "label": 1})
            fake_by_seed[seed].append(float(fake.mean()))
            seg_labels += [1] * len(fake)
            seg_scores += [float(v) for v in fake]
            for kd, v in zip(kinds, fake):
                per_kind.setdefault(kd, []).append(float(v))
        sources += [SOURCE_NAMES[store.kinds[item]]] * (1 + len(seeds))
        # the caution predict and the app would print for this face (frame t of every segment)
        quality += ["cautioned" if face_quality(crops[:, 0]).notes() else "ok"] * (1 + len(seeds))
    labels = [v["label"] for v in videos]  # per video score: 0 real, 1 fake
    reals = [s for lab, s in zip(labels, scores) if lab == 0]  # one video score per item
    labelled = labelled_fakes(detector, args.data, args.split, need, reals)
    seg, lab = np.array(seg_scores), np.array(seg_labels)  # (segments,) fakes in the order of `changes`
    out = {"weights": info.source, "split": args.split, "items": len(store.names),
           "identities": len(set(store.identities)),
           "seeds": list(seeds),
           # every real item against every seed's fakes: the AUC is the mean of the per-seed AUCs
           "video": binary_metrics(np.array(labels), np.array(scores)),
           # identities resampled with replacement: how far the video AUC could move on another sample of
           # held-out people of this size (a checkpoint-vs-checkpoint question is `python -m lda_model.compare`)
           "video_auc_ci95": bootstrap_auc_interval(labels, scores, [v["identity"] for v in videos]),
           "video_auc_by_seed": {s: round(binary_metrics(np.r_[np.zeros(len(reals)), np.ones(len(v))], np.r_[reals, v])["auc"], 4)
                                 for s, v in fake_by_seed.items()},
           "segment": binary_metrics(lab, seg),
           "mean_fake_score_by_kind": {k: round(float(np.mean(v)), 4) for k, v in sorted(per_kind.items())},
           # does the score follow how visible a fake is? terciles of pixel change, segment AUC vs all reals
           "segment_by_pixel_change": auc_by_quantile(np.array(changes), seg[lab == 1], seg[lab == 0]),
           # photo-only identities (a still, animated) vs tracked clips: which items move the video AUC
           "video_by_source": metrics_by_group(sources, np.array(labels), np.array(scores)),
           # items whose real face draws the quality caution (lda_model/quality.py) vs the others: how good are
           # the verdicts that come without a caution? (a diagnostic: `video` above is the number)
           "video_by_quality": metrics_by_group(quality, np.array(labels), np.array(scores)),
           # where the errors are: the real items scored highest and the fakes scored lowest, by name
           **hardest(names, labels, scores),
           # does the attention on frame t rise where the fake was blended (vs the same patches of its real)?
           "blend_attention": {name: attention_rise(*(np.concatenate(x) for x in zip(*parts)))
                               for name, parts in blend.items()}}
    if labelled:
        out["labelled_fakes"] = labelled
    # every video score, for `python -m lda_model.compare` (pairs two checkpoints' runs by item and seed)
    out["videos"] = [{**v, "score": round(s, 6)} for v, s in zip(videos, scores)]
    return out


def hardest(names: list[str], labels: list[int], scores: list[float], k: int = 5) -> dict[str, list]:
    """The k real videos with the highest p(fake) and the k fakes with the lowest, as [name, score]:
    the items an AUC below 1 comes from."""
    rows = sorted(zip(scores, labels, names))
    reals = [[n, round(s, 4)] for s, lab, n in reversed(rows) if lab == 0][:k]
    fakes = [[n, round(s, 4)] for s, lab, n in rows if lab == 1][:k]
    return {"hardest_reals": reals, "hardest_fakes": fakes}


def labelled_fakes(detector, data: str, split: str, need: int, real_scores: list[float]) -> dict | None:
    """The split's labelled fakes (`prepare --labels`, e.g. FF++'s manipulated clips) against its real
    items, video level (mean over a clip's segments): all fakes, then each group (method) on its
    own against all reals; None when the split has none."""
    from .data import SegmentStore

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


def evaluate_localization(args, detector, info) -> dict:
    from .prepare import clip_splits

    cfg = detector.config
    paths = []
    for v in args.videos:
        p = Path(v)
        paths += sorted(x for x in p.iterdir() if x.suffix.lower() in VIDEO_EXTS) \
            if p.is_dir() else [p]
    if args.split:
        keep = set(args.split.split(","))
        splits = clip_splits([p.name for p in paths], args.manifest)
        paths = [p for p in paths if splits[p.name] in keep]
    hits = {d: [] for d in LOCALIZATION_DEFECTS}
    rises = {d: [] for d in LOCALIZATION_DEFECTS}
    chance = {d: [] for d in LOCALIZATION_DEFECTS}
    size = cfg.backbone_size
    for path in paths:
        try:
            faces = extract_faces(path, cfg.clip_length, size, num_points=args.points)
        except VideoError:
            continue
        track = faces.main_track
        if track is None:
            continue
        for point in faces.tracks[track]:
            lms = to_crop_coords(point.landmarks, point.window, size)
            for defect in LOCALIZATION_DEFECTS:
                try:
                    r = defect_experiment(detector, point.crops, lms, defect, args.strength)
                except ValueError as err:
                    raise SystemExit(f"error: {err}") from None
                hits[defect].append(r.hit)
                rises[defect].append(r.rises)
                chance[defect].append(r.chance)
    n = sum(len(v) for v in hits.values())
    return {
        "weights": info.source,
        "hit_rate": round(float(np.mean([h for v in hits.values() for h in v])), 4) if n else None,
        "n": n,
        "chance": round(float(np.mean([c for v in chance.values() for c in v])), 4) if n else None,
        "rise_rate": round(float(np.mean([r for v in rises.values() for r in v])), 4) if n else None,
        "per_defect": {d: {"hit_rate": round(float(np.mean(v)), 4) if v else None, "n": len(v),
                           "rise_rate": round(float(np.mean(rises[d])), 4) if v else None,
                           "chance": round(float(np.mean(chance[d])), 4) if v else None} for d, v in hits.items()},
        "clips": len(paths),
    }


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    mode = argv.pop(0) if argv and argv[0] in ("synthetic", "localization") else "detection"
    p = argparse.ArgumentParser(prog=f"python -m lda_model.evaluate{'' if mode == 'detection' else ' ' + mode}")
    p.add_argument("--weights", default=None,
                   help="checkpoint folder, bundled name or Hub repo (default: the bundled default)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--points", type=int, default=16, help="analysis points per clip (default 16)")
    if mode == "detection":
        p.add_argument("--videos", default=None, help="only clips under this folder")
        p.add_argument("--labels", required=True)
        p.add_argument("--groups", default=None, help="comma-separated groups to keep")
        p.add_argument("--split", default=None,
                       help="keep clips of these splits (e.g. test): the label file's `split` column, else by "
                            "identity as `prepare --labels` assigns them")
        p.add_argument("--roc", default=None, help="write the video-level ROC curve to this PNG")
    elif mode == "synthetic":
        p.add_argument("--data", required=True)
        p.add_argument("--split", default="test")
        p.add_argument("--seed", type=int, default=0, help="forgery seed (with --seeds K: the first of K)")
        p.add_argument("--seeds", type=int, default=1,
                       help="forge every item K times (seeds SEED..SEED+K-1) and pool the fakes; one seed's "
                            "video AUC moves by a few hundredths with the seed, so compare checkpoints with K >= 3")
        p.add_argument("--device", default="cpu",
                       help="where the model runs: cpu (default), cuda, or auto (cuda when there is one); "
                            "forging stays on the CPU")
    else:
        p.add_argument("--videos", nargs="+", required=True)
        p.add_argument("--manifest", default=None)
        p.add_argument("--split", default=None, help="keep clips whose identity falls in these splits (e.g. val,test)")
        p.add_argument("--strength", type=float, default=1.0)
    args = p.parse_args(argv)
    try:
        detector, info = load_detector(args.weights)
    except (WeightsError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if getattr(args, "device", "cpu") != "cpu":
        name = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
        try:
            device = torch.device(name)
            detector = copy.deepcopy(detector).to(device)  # the cached CPU model stays as it is
        except (RuntimeError, AssertionError) as err:
            print(f"error: device {args.device!r}: {err}", file=sys.stderr)
            return 2
    run = {"detection": evaluate_detection, "synthetic": evaluate_synthetic, "localization": evaluate_localization}
    result = run[mode](args, detector, info)
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            if k not in PER_VIDEO_KEYS:
                print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
