"""ACC and AUC (the paper's metrics) and the ROC curve, on numpy arrays."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve


def binary_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float = 0.5) -> dict:
    """labels in {0, 1} (1 = fake), scores = fake probabilities."""
    labels = np.asarray(labels).astype(int)
    scores = np.asarray(scores, dtype=np.float64)
    acc = float(np.mean((scores >= threshold).astype(int) == labels)) if len(labels) else float("nan")
    auc = float(roc_auc_score(labels, scores)) if len(set(labels.tolist())) == 2 else float("nan")
    return {"acc": acc, "auc": auc, "n": int(len(labels)), "n_fake": int(labels.sum())}


def metrics_by_group(groups: Sequence[str], labels: np.ndarray, scores: np.ndarray) -> dict[str, dict]:
    """`binary_metrics` for each group of samples (e.g. photo vs clip items), with the mean real and
    mean fake score of each group, so one can see *which* samples move an overall AUC."""
    groups, labels = np.asarray(groups), np.asarray(labels).astype(int)
    scores = np.asarray(scores, dtype=np.float64)
    if not len(groups) == len(labels) == len(scores):
        raise ValueError("one group and one label per score")
    out = {}
    for g in sorted(set(groups.tolist())):
        sel = groups == g
        m = binary_metrics(labels[sel], scores[sel])
        for name, lab in (("mean_real", 0), ("mean_fake", 1)):
            part = scores[sel & (labels == lab)]
            m[name] = round(float(part.mean()), 4) if len(part) else None
        out[str(g)] = m
    return out


def roc_points(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    fpr, tpr, _ = roc_curve(np.asarray(labels).astype(int), np.asarray(scores, dtype=np.float64))
    return fpr, tpr


def auc_by_quantile(values: np.ndarray, fake_scores: np.ndarray, real_scores: np.ndarray, bins: int = 3) -> list[dict]:
    """Split the fakes into `bins` quantile bins of `values` (e.g. how much each fake changed the
    pixels) and give each bin's mean value, mean fake score and AUC against *all* the reals."""
    values, fake_scores = np.asarray(values, dtype=np.float64), np.asarray(fake_scores, dtype=np.float64)
    real_scores = np.asarray(real_scores, dtype=np.float64)
    if len(values) != len(fake_scores):
        raise ValueError("one value per fake score")
    edges = np.quantile(values, np.linspace(0, 1, bins + 1)) if len(values) else np.zeros(bins + 1)
    which = np.searchsorted(edges[1:-1], values, side="right")  # bin of each fake, 0..bins-1
    out = []
    for b in range(bins):
        sel = which == b
        m = binary_metrics(np.r_[np.zeros(len(real_scores)), np.ones(sel.sum())], np.r_[real_scores, fake_scores[sel]])
        out.append({"range": [round(float(edges[b]), 3), round(float(edges[b + 1]), 3)], "n": int(sel.sum()),
                    "mean_value": round(float(values[sel].mean()), 3) if sel.any() else None,
                    "mean_score": round(float(fake_scores[sel].mean()), 4) if sel.any() else None,
                    "auc": round(m["auc"], 4) if m["auc"] == m["auc"] else None})
    return out
