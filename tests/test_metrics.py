"""metrics.py: rank AUC, the identity (cluster) bootstrap and the paired AUC difference."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from lda_model.evaluation.metrics import bootstrap_auc_interval, cluster_resamples, fakes_by_group, paired_auc_difference, rank_auc


def test_rank_auc_matches_sklearn_with_ties_and_is_nan_for_one_class():
    rng = np.random.default_rng(0)
    labels, scores = rng.integers(0, 2, 60), rng.random(60).round(1)  # rounded: many ties
    assert rank_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert np.isnan(rank_auc([1, 1], [0.2, 0.3])) and np.isnan(rank_auc([], []))


def test_cluster_resamples_take_whole_clusters_reproducibly():
    clusters = ["a", "a", "a", "b", "c", "c"]
    draws = list(cluster_resamples(clusters, 50, seed=3))
    assert len(draws) == 50 and draws[0].tolist() == next(cluster_resamples(clusters, 1, seed=3)).tolist()
    for idx in draws:
        picked = [clusters[i] for i in idx]
        for c in set(picked):  # a drawn cluster comes with all its samples, once per time it was drawn
            assert picked.count(c) % clusters.count(c) == 0
        assert sum(picked.count(c) // clusters.count(c) for c in set(picked)) == 3  # three clusters drawn
    assert any(len(set(clusters[i] for i in idx)) < 3 for idx in draws)  # with replacement


def test_bootstrap_interval_brackets_the_auc_and_collapses_when_nothing_varies():
    rng = np.random.default_rng(1)
    ids = np.repeat(np.arange(12), 4)
    labels = np.tile([0, 1, 1, 1], 12)
    scores = labels * 0.3 + rng.random(48)  # separable only in part
    auc = rank_auc(labels, scores)
    ci = bootstrap_auc_interval(labels, scores, ids, draws=500)
    assert ci["lo"] < auc < ci["hi"] and ci["draws"] == 500 and ci["level"] == 0.95
    perfect = bootstrap_auc_interval(labels, labels + 0.0, ids, draws=100)
    assert perfect["lo"] == perfect["hi"] == 1.0
    one = bootstrap_auc_interval(labels, scores, np.zeros(48), draws=50)  # one person: every draw is the split
    assert one["lo"] == one["hi"] == round(auc, 4)
    with pytest.raises(ValueError):
        bootstrap_auc_interval(labels, scores[:-1], ids)
    empty = bootstrap_auc_interval([], [], [], draws=10)  # every clip skipped: no interval, no crash
    assert empty["draws"] == 0 and np.isnan(empty["lo"]) and np.isnan(empty["hi"])


def test_paired_difference_is_zero_for_one_checkpoint_and_signed_for_a_better_one():
    rng = np.random.default_rng(2)
    ids = np.repeat(np.arange(10), 4)
    labels = np.tile([0, 1, 1, 1], 10)
    noisy = labels * 0.2 + rng.random(40)
    same = paired_auc_difference(labels, noisy, noisy, ids, draws=200)
    assert same["diff"] == same["lo"] == same["hi"] == 0.0 and same["a_better"] == 0.5
    good = paired_auc_difference(labels, labels + 0.1 * rng.random(40), noisy, ids, draws=200)
    assert good["auc_a"] == 1.0 and good["diff"] > 0 and good["lo"] > 0 and good["a_better"] == 1.0
    flipped = paired_auc_difference(labels, noisy, labels + 0.1 * rng.random(40), ids, draws=200)
    assert flipped["hi"] < 0 and flipped["a_better"] == 0.0
    with pytest.raises(ValueError):
        paired_auc_difference(labels, noisy, noisy[:-1], ids)


def test_fakes_by_group_scores_each_groups_fakes_against_every_real():
    groups = ["swap", "swap", "swap", "generated", "generated", "pristine"]
    labels = np.array([0, 1, 1, 1, 1, 0])  # reals in two groups; "pristine" has no fake
    scores = np.array([0.3, 0.9, 0.6, 0.1, 0.2, 0.4])
    out = fakes_by_group(groups, labels, scores)
    assert set(out) == {"swap", "generated"}  # a group without fakes has nothing to rank
    assert out["swap"]["n"] == 4 and out["swap"]["n_fake"] == 2  # its 2 fakes against both reals
    assert out["swap"]["auc"] == 1.0 and out["swap"]["detected"] == 1.0 and out["swap"]["mean_fake"] == 0.75
    assert out["generated"]["auc"] == 0.0 and out["generated"]["detected"] == 0.0  # ranked below every real
    assert np.isnan(fakes_by_group(["a", "a"], np.array([1, 1]), np.array([0.2, 0.7]))["a"]["auc"])  # no reals
    with pytest.raises(ValueError):
        fakes_by_group(groups[:2], labels, scores)


def test_mean_interval_is_the_student_t_interval():
    from lda_model.evaluation.metrics import mean_interval

    r = mean_interval([0.01, 0.03, -0.01, 0.02])
    sd = np.std([0.01, 0.03, -0.01, 0.02], ddof=1)
    assert r["mean"] == pytest.approx(0.0125) and r["n"] == 4
    assert r["hi"] - r["mean"] == pytest.approx(3.182446 * sd / 2, rel=1e-5)  # t(0.975, 3 df) = 3.182446
    assert r["mean"] - r["lo"] == pytest.approx(r["hi"] - r["mean"])
    one = mean_interval([0.5])
    assert one["mean"] == 0.5 and np.isnan(one["lo"]) and np.isnan(one["hi"])
    flat = mean_interval([0.2, 0.2, 0.2])
    assert flat["lo"] == pytest.approx(0.2) and flat["hi"] == pytest.approx(0.2)
    with pytest.raises(ValueError):
        mean_interval([])
