"""Detection on labelled clips: ACC/AUC at frame and video level, per group and per source dataset.

Frame level: every analysis point of the main track is a sample with its clip's label; video level:
the clip's score (mean of its main track). `video_auc_ci95` is the video AUC's 95 % interval when
the clips are resampled with replacement; `fakes_by_group` / `fakes_by_dataset` score each group's
(dataset's) fakes against every real clip of the run: which kind of fake the detector catches.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..data.splits import read_label_file, resolve_splits
from ..inference.pipeline import analyze_video
from ..inference.video import VIDEO_EXTS, VideoError
from ..model.detector import LDADetector
from .metrics import binary_metrics, bootstrap_auc_interval, fakes_by_group, mean_interval, roc_points


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


def evaluate_detection(detector: LDADetector, weights: str, labels: Path, videos: Path | None = None,
                       groups: set[str] | None = None, splits: set[str] | None = None, points: int = 16,
                       roc: str | None = None) -> dict:
    """Score every labelled clip (kept by folder, group and split): video and frame ACC/AUC with the
    clip-bootstrap interval, per group and per dataset. ValueError for a bad label file or no clip."""
    rows = read_labels(labels, videos, groups, splits)
    if not rows:
        raise ValueError("no labelled clips matched")
    datasets = {(labels.parent / r.file).resolve(): dataset_family(r.dataset) for r in read_label_file(labels)}
    v_labels, v_scores, f_labels, f_scores, per_clip, skipped = [], [], [], [], [], []
    for path, label, group in rows:
        try:
            res = analyze_video(path, detector, weights=weights, num_points=points)
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
                         "score": round(res.fake_probability, 4), "concentration": res.concentration()})
    out = {"weights": weights, "video": binary_metrics(np.array(v_labels), np.array(v_scores)),
           # clips resampled with replacement (each its own cluster): how far the AUC of a few clips could move
           "video_auc_ci95": bootstrap_auc_interval(v_labels, v_scores, list(range(len(v_labels)))),
           "frame": binary_metrics(np.array(f_labels), np.array(f_scores)),
           # per group (e.g. a manipulation method, or fully generated heads): its fakes against every real clip
           "fakes_by_group": fakes_by_group([c["group"] for c in per_clip], v_labels, v_scores),
           "fakes_by_dataset": by_dataset([c["dataset"] for c in per_clip], v_labels, v_scores),
           "skipped": skipped, "clips": per_clip}
    conc = [c["concentration"] for c in per_clip]
    if conc and None not in conc:  # the paper's Fig. 9/10: are fake faces' maps more concentrated than real ones'?
        out["concentration"] = concentration_summary(v_labels, conc)
    if roc and len(set(v_labels)) == 2:
        fpr, tpr = roc_points(np.array(v_labels), np.array(v_scores))
        draw_roc(roc, fpr, tpr, out["video"]["auc"], "video-level")
        out["roc"] = roc
    return out


def concentration_summary(labels: list[int], values: list[float]) -> dict:
    """Map concentration of real vs fake clips: each side's mean with its Student-t interval, and the AUC
    of concentration as a fake score with its clip-bootstrap interval (0.5: it does not tell them apart)."""
    lab, val = np.asarray(labels), np.asarray(values, np.float64)
    out = {side: mean_interval(val[lab == k].tolist()) for side, k in (("real", 0), ("fake", 1)) if (lab == k).any()}
    if len(set(labels)) == 2:
        out["auc"] = round(binary_metrics(lab, val)["auc"], 4)
        out["auc_ci95"] = bootstrap_auc_interval(labels, values, list(range(len(labels))))
    return out
