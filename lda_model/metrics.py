"""ACC and AUC (the paper's metrics) and the ROC curve, on numpy arrays."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve


def binary_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float = 0.5) -> dict:
    """labels in {0, 1} (1 = fake), scores = fake probabilities."""
    labels = np.asarray(labels).astype(int)
    scores = np.asarray(scores, dtype=np.float64)
    acc = float(np.mean((scores >= threshold).astype(int) == labels)) if len(labels) else float("nan")
    auc = float(roc_auc_score(labels, scores)) if len(set(labels.tolist())) == 2 else float("nan")
    return {"acc": acc, "auc": auc, "n": int(len(labels)), "n_fake": int(labels.sum())}


def roc_points(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    fpr, tpr, _ = roc_curve(np.asarray(labels).astype(int), np.asarray(scores, dtype=np.float64))
    return fpr, tpr
