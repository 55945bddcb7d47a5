"""ACC and AUC (the paper's metrics) and the ROC curve, on numpy arrays."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from scipy.stats import rankdata, t as student_t
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


def fakes_by_group(groups: Sequence[str], labels: np.ndarray, scores: np.ndarray,
                   threshold: float = 0.5) -> dict[str, dict]:
    """Each group's fakes against *every* real sample of the run, as per-method AUCs are reported (one
    manipulation's fakes against all the pristine clips): `binary_metrics`, the group's mean fake score
    and `detected`, the share of its fakes at or above `threshold`. Groups without fakes are left out;
    with no reals the AUC is nan. Tells, e.g., fully generated talking heads apart from face swaps."""
    groups, labels = np.asarray(groups), np.asarray(labels).astype(int)
    scores = np.asarray(scores, dtype=np.float64)
    if not len(groups) == len(labels) == len(scores):
        raise ValueError("one group and one label per score")
    reals = scores[labels == 0]
    out = {}
    for g in sorted(set(groups[labels == 1].tolist())):
        fake = scores[(groups == g) & (labels == 1)]
        m = binary_metrics(np.r_[np.zeros(len(reals)), np.ones(len(fake))], np.r_[reals, fake], threshold)
        m.update(mean_fake=round(float(fake.mean()), 4), detected=round(float(np.mean(fake >= threshold)), 4))
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


def rank_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """The AUC as the Mann-Whitney statistic (ties count one half): `roc_auc_score`'s value without its
    overhead, for the thousands of resamples below; nan when one class is missing."""
    labels = np.asarray(labels).astype(bool)
    n_fake, n_real = int(labels.sum()), int((~labels).sum())
    if not n_fake or not n_real:
        return float("nan")
    ranks = rankdata(np.asarray(scores, dtype=np.float64))  # (N,) average ranks, 1..N
    return float((ranks[labels].sum() - n_fake * (n_fake + 1) / 2) / (n_fake * n_real))


def cluster_resamples(clusters: Sequence, draws: int, seed: int = 0) -> Iterator[np.ndarray]:
    """`draws` index arrays, each drawing as many clusters as there are, with replacement, and taking
    every sample of each drawn cluster: the bootstrap for samples that are not independent within a
    cluster (the real and fake videos of one person)."""
    _, which = np.unique(np.asarray(clusters), return_inverse=True)
    members = [np.flatnonzero(which == k) for k in range(which.max() + 1)] if len(which) else []
    rng = np.random.default_rng(seed)
    for _ in range(draws):
        pick = rng.integers(len(members), size=len(members))
        yield np.concatenate([members[k] for k in pick]) if len(pick) else np.zeros(0, int)


def _interval(values: list[float], level: float) -> tuple[float, float]:
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2]) if values else (float("nan"),) * 2
    return round(float(lo), 4), round(float(hi), 4)


def bootstrap_auc_interval(labels: np.ndarray, scores: np.ndarray, clusters: Sequence, draws: int = 2000,
                           level: float = 0.95, seed: int = 0) -> dict:
    """Percentile interval of the AUC when whole clusters (identities) are resampled: how far the AUC
    could move on another sample of people of the same size. {"lo", "hi", "level", "draws"} (`draws`
    counts the resamples that held both classes; the others have no AUC)."""
    labels, scores = np.asarray(labels).astype(int), np.asarray(scores, dtype=np.float64)
    if not len(labels) == len(scores) == len(clusters):
        raise ValueError("one label and one cluster per score")
    aucs = [a for idx in cluster_resamples(clusters, draws, seed) if (a := rank_auc(labels[idx], scores[idx])) == a]
    lo, hi = _interval(aucs, level)
    return {"lo": lo, "hi": hi, "level": level, "draws": len(aucs)}


def paired_auc_difference(labels: np.ndarray, scores_a: np.ndarray, scores_b: np.ndarray, clusters: Sequence,
                          draws: int = 2000, level: float = 0.95, seed: int = 0) -> dict:
    """AUC(a) - AUC(b) on the same samples, with a percentile interval from resampling whole clusters
    for both at once (paired: the people who are hard for one checkpoint are often hard for the other,
    so the difference varies less than either AUC). `a_better`: the share of resamples where a's AUC is
    higher (ties count one half). {"auc_a", "auc_b", "diff", "lo", "hi", "a_better", "level", "draws"}."""
    labels = np.asarray(labels).astype(int)
    a, b = np.asarray(scores_a, dtype=np.float64), np.asarray(scores_b, dtype=np.float64)
    if not len(labels) == len(a) == len(b) == len(clusters):
        raise ValueError("one label, one score of each checkpoint and one cluster per sample")
    diffs = [d for idx in cluster_resamples(clusters, draws, seed)
             if (d := rank_auc(labels[idx], a[idx]) - rank_auc(labels[idx], b[idx])) == d]
    auc_a, auc_b = rank_auc(labels, a), rank_auc(labels, b)
    lo, hi = _interval(diffs, level)
    better = float(np.mean([1.0 if d > 0 else 0.5 if d == 0 else 0.0 for d in diffs])) if diffs else float("nan")
    return {"auc_a": round(auc_a, 4), "auc_b": round(auc_b, 4), "diff": round(auc_a - auc_b, 4), "lo": lo, "hi": hi,
            "a_better": round(better, 4), "level": level, "draws": len(diffs)}


def mean_interval(values: Sequence[float], level: float = 0.95) -> dict:
    """Mean of independent measurements with its Student-t interval: {"mean", "lo", "hi", "n", "level"}.
    Used over cross-validation folds, where each value is one training run on its own held-out people,
    so the interval counts both the luck of training and that of the people (NaN bounds below 2 values)."""
    x = np.asarray(values, dtype=np.float64)
    if not len(x):
        raise ValueError("no values")
    mean = float(x.mean())
    if len(x) < 2:
        return {"mean": mean, "lo": float("nan"), "hi": float("nan"), "n": 1, "level": level}
    half = float(student_t.ppf((1 + level) / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
    return {"mean": mean, "lo": mean - half, "hi": mean + half, "n": int(len(x)), "level": level}
