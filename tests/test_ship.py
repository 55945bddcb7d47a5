"""release/ship.py: the card rows a release derives from its evaluations."""

from lda_model.release.ship import benchmark_results, concentration_results


def test_benchmark_rows_carry_each_dataset_and_the_concentration_claim():
    conc = {"real": {"mean": 0.056}, "fake": {"mean": 0.061}, "auc": 0.657, "auc_ci95": {"lo": 0.46, "hi": 0.83}}
    res = {"video": {"auc": 0.58, "acc": 0.53}, "video_auc_ci95": {"lo": 0.40, "hi": 0.76},
           "fakes_by_dataset": {"FF++": {"auc": 0.51, "auc_ci95": {"lo": 0.29, "hi": 0.73}},
                                "DFDC": {"auc": float("nan")}},  # no DFDC real clip: not measurable, left out
           "concentration": conc}
    rows = {(r["dataset"], r["metric"]): r["value"] for r in benchmark_results(res)}
    assert rows[("external-benchmarks", "auc")] == 0.58 and rows[("external-benchmarks-FF++", "auc_ci95_lo")] == 0.29
    assert not any(ds == "external-benchmarks-DFDC" for ds, _ in rows)
    c = {m: v for (ds, m), v in rows.items() if ds == "external-benchmarks-concentration"}
    assert c == {"real_mean": 0.056, "fake_mean": 0.061, "auc": 0.657, "auc_ci95_lo": 0.46, "auc_ci95_hi": 0.83}
    assert concentration_results(None) == [] and concentration_results({**conc, "auc": float("nan"), "auc_ci95": None}) == [
        r for r in concentration_results(conc) if r["metric"] in ("real_mean", "fake_mean")]


def test_the_card_says_what_the_mask_loss_taught():
    from lda_model.release.ship import mask_taught, recipe_text

    lda, head = "the LDA modules' mean activation", "the forgery-map head's prediction"
    assert mask_taught({}, head=False) == [lda]
    assert mask_taught({}, head=True) == [lda, head]
    frozen = {"train_only": "mask_head"}
    assert mask_taught(frozen, head=True) == [head]  # the modules were frozen
    assert mask_taught({"train_only": "spatial"}, head=False) == [lda]
    text = recipe_text({"mask_loss": 1.0, "train_only": "mask_head"}, head=True)
    assert f"({head} per patch taught the blended fraction" in text and "only `mask_head` trained" in text
    assert "colour-matched" in recipe_text({"colour_match": 0.5}, head=False)
    assert "colour" not in recipe_text({"colour_match": 0.0}, head=False)
