"""evaluation/: detection, synthetic and localization evaluations, and the metrics they report."""

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from lda_model.evaluation.synthetic import attention_rise
from lda_model.evaluation.metrics import binary_metrics
from lda_model.data.animation import animate, load_face_photo, write_video

ROOT = Path(__file__).resolve().parents[1]


def test_evaluate_synthetic_and_localization(tiny_cache, tiny_weights, face_clip):
    env = {**os.environ}
    res = subprocess.run([sys.executable, "-m", "lda_model.evaluate", "synthetic", "--data", str(tiny_cache),
                          "--weights", str(tiny_weights), "--json"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    rec = json.loads(res.stdout)
    assert rec["items"] == 1 and rec["video"]["n"] == 2 and 0 <= rec["video"]["auc"] <= 1
    # every video score, for tools.compare: the item's real (seed None) and its fake
    assert [(v["item"], v["seed"], v["label"]) for v in rec["videos"]] == [("clip3", None, 0), ("clip3", 0, 1)]
    ci = rec["video_auc_ci95"]  # one identity: every resample is the whole split, so no spread
    assert ci["lo"] == ci["hi"] == pytest.approx(rec["video"]["auc"], abs=1e-4) and ci["draws"] == 2000
    index = json.loads((tiny_cache / "index.json").read_text())
    segments = sum(v["segments"] for v in index.values() if v["split"] == "test")
    assert segments > 1 and rec["identities"] == 1
    assert rec["segment"]["n"] == 2 * segments and rec["segment"]["n_fake"] == segments  # each scored alone
    by_change = rec["segment_by_pixel_change"]
    assert len(by_change) == 3 and sum(b["n"] for b in by_change) == segments
    assert all(b["n"] == 0 or b["range"][0] <= b["mean_value"] <= b["range"][1] for b in by_change)
    by_source = rec["video_by_source"]  # the tiny cache's test split holds one clip item, no photo
    assert set(by_source) == {"clip"} and by_source["clip"]["n"] == 2 and by_source["clip"]["n_fake"] == 1
    assert sum(g["n"] for g in rec["video_by_quality"].values()) == 2 and set(rec["video_by_quality"]) <= {"ok", "cautioned"}
    (real_name, _), = rec["hardest_reals"]
    (fake_name, _), = rec["hardest_fakes"]
    assert real_name == "clip3" and fake_name.startswith("clip3 seed 0: ")  # the test item, by name
    blend = rec["blend_attention"]  # the tiny model has both branches: module activations and gating maps
    assert set(blend) == {"activations", "maps"}
    assert all(0 < b["segments"] <= segments and b["patches"] >= b["segments"] and 0 <= b["rise_rate"] <= 1
               for b in blend.values())
    # --seeds 2: the real scored once, forged twice; pooled AUC = mean of the per-seed AUCs
    res = subprocess.run([sys.executable, "-m", "lda_model.evaluate", "synthetic", "--data", str(tiny_cache),
                          "--weights", str(tiny_weights), "--seed", "5", "--seeds", "2", "--json"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    two = json.loads(res.stdout)
    assert two["seeds"] == [5, 6] and set(two["video_auc_by_seed"]) == {"5", "6"}
    assert two["video"]["n"] == 3 and two["video"]["n_fake"] == 2
    assert two["segment"]["n"] == 3 * segments and two["segment"]["n_fake"] == 2 * segments
    assert two["video"]["auc"] == pytest.approx(np.mean(list(two["video_auc_by_seed"].values())), abs=1e-4)
    assert [v["seed"] for v in two["videos"]] == [None, 5, 6] and len({v["identity"] for v in two["videos"]}) == 1
    res = subprocess.run([sys.executable, "-m", "lda_model.evaluate", "synthetic", "--data", str(tiny_cache),
                          "--weights", str(tiny_weights), "--device", "nonsense"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 2 and "device 'nonsense'" in res.stderr
    res = subprocess.run([sys.executable, "-m", "lda_model.evaluate", "localization", "--videos", str(face_clip),
                          "--weights", str(tiny_weights), "--points", "2", "--json"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    rec = json.loads(res.stdout)
    assert rec["n"] == 6 and set(rec["per_defect"]) == {"blur_mouth", "red_pupil", "distort_mouth"}
    assert 0 <= rec["hit_rate"] <= 1 and 0 < rec["chance"] < 1
    assert "blend_attention" not in rec  # no --data


def test_localization_report_sets_the_trained_weights_beside_random_ones(tiny_cache, tiny_config, face_clip):
    import torch

    from lda_model import LDADetector
    from lda_model.evaluation.localization import localization_report

    torch.manual_seed(1)  # "trained": any weights other than the baseline's seed-0 initialisation
    model = LDADetector(tiny_config).eval()
    rec = localization_report(model, "tiny", [face_clip], data=tiny_cache, points=2)
    base = rec["random_weights"]
    rises = {"activations_rise_rate", "grad_cam_rise_rate", "hires_cam_rise_rate", "two_scale_cam_rise_rate"}
    fields = {"hit_rate", "rise_rate", "chance", "n", "per_defect", "blend_attention"} | rises
    assert fields <= set(rec) and fields <= set(base)
    assert rec["n"] == base["n"] == 6  # the same points, the same defects, for both weights
    assert rec["chance"] == base["chance"]  # chance depends on the regions alone
    for r in (rec, base):
        assert set(r["blend_attention"]) == {"activations", "maps", "grad_cam", "hires_cam", "two_scale_cam"}
        assert all(0 <= r["per_defect"][d][k] <= 1 for d in r["per_defect"] for k in rises)
    # the baseline is another network: its maps differ, so its numbers are its own
    assert rec["blend_attention"]["maps"] != base["blend_attention"]["maps"]
    no_base = localization_report(model, "tiny", [face_clip], points=2, baseline=False)
    assert "random_weights" not in no_base and no_base["rise_rate"] == rec["rise_rate"]


def test_hardest_names_the_worst_reals_and_fakes():
    from lda_model.evaluation.synthetic import hardest

    names = ["a", "a seed 0: x", "b", "b seed 0: y", "c", "c seed 0: z"]
    labels = [0, 1, 0, 1, 0, 1]
    scores = [0.9, 0.2, 0.1, 0.8, 0.5, 0.05]
    out = hardest(names, labels, scores, k=2)
    assert out == {"hardest_reals": [["a", 0.9], ["c", 0.5]], "hardest_fakes": [["c seed 0: z", 0.05], ["a seed 0: x", 0.2]]}


def test_attention_rise_compares_blended_patches_with_the_real():
    blended = np.zeros((3, 2, 2))
    blended[0, 0, 0] = blended[1, 1, 1] = 0.9
    blended[2, 0, 1] = 0.3  # under the threshold: segment 2 does not count
    real = np.full((3, 2, 2), 0.5)
    fake = real.copy()
    fake[0, 0, 0], fake[1, 1, 1] = 0.8, 0.2  # rises on segment 0, drops on segment 1
    fake[0, 1, 1] = 0.99  # a rise outside the blend does not count
    res = attention_rise(fake, real, blended)
    assert (res["segments"], res["patches"], res["rise_rate"]) == (2, 2, 0.5)
    assert res["patch_auc"] == pytest.approx(0.5)  # one above, one below the reals
    fake[1, 1, 1] = 0.7
    assert attention_rise(fake, real, blended)["patch_auc"] == 1.0 and attention_rise(fake, real, blended)["rise_rate"] == 1.0
    assert attention_rise(fake, real, np.zeros((3, 2, 2)))["segments"] == 0


def test_within_auc_tells_localizing_from_saying_fake_everywhere():
    blended = np.zeros((2, 4, 4))
    blended[:, 1:3, 1:3] = 1.0  # the middle four patches of each fake were blended
    real = np.zeros((2, 4, 4))
    everywhere = np.ones((2, 4, 4))  # "fake" all over: separates fakes from reals, points nowhere
    res = attention_rise(everywhere, real, blended)
    assert res["patch_auc"] == 1.0 and res["within_auc"] == 0.5
    peaked = 0.1 + blended * 0.8
    assert attention_rise(peaked, real, blended)["within_auc"] == 1.0
    assert attention_rise(peaked, real, blended)["within_auc_real"] == 0.5  # the real's map is flat there
    assert attention_rise(peaked, peaked, blended)["within_auc_real"] == 1.0  # bright on that region anyway
    assert attention_rise(1 - peaked, real, blended)["within_auc"] == 0.0


def test_evaluate_detection(tmp_path, tiny_weights, face_clip):
    (tmp_path / "clips").mkdir()
    for k, label in enumerate(["REAL", "FAKE"]):
        write_video(tmp_path / "clips" / f"c{k}.avi", animate(load_face_photo(), 8, size=(192, 192), seed=k))
    (tmp_path / "labels.tsv").write_text("file\tlabel\tgroup\nclips/c0.avi\tREAL\ta\nclips/c1.avi\tFAKE\ta\n"
                                         "clips/missing.avi\tFAKE\ta\n")
    res = subprocess.run([sys.executable, "-m", "lda_model.evaluate", "--weights", str(tiny_weights), "--labels",
                          str(tmp_path / "labels.tsv"), "--points", "3", "--roc", str(tmp_path / "roc.png"), "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    rec = json.loads(res.stdout)
    assert rec["video"]["n"] == 2 and rec["frame"]["n"] == 6 and len(rec["skipped"]) == 1
    ci = rec["video_auc_ci95"]  # one real and one fake clip: a resample holds both (AUC as is) or lacks one class
    assert ci["lo"] == ci["hi"] == round(rec["video"]["auc"], 4) and 0 < ci["draws"] < 2000
    by_group = rec["fakes_by_group"]["a"]  # group a's one fake against the one real clip
    assert by_group["n"] == 2 and by_group["auc"] == rec["video"]["auc"] and by_group["mean_fake"] == rec["clips"][1]["score"]
    assert cv2.imread(str(tmp_path / "roc.png")) is not None
    conc = rec["concentration"]  # one real, one fake clip: each side's mean is that clip's value
    assert conc["real"]["mean"] == rec["clips"][0]["concentration"] and conc["fake"]["n"] == 1
    assert conc["auc"] == (1.0 if rec["clips"][1]["concentration"] > rec["clips"][0]["concentration"] else 0.0)


def test_concentration_summary_separates_concentrated_fakes():
    from lda_model.evaluation.detection import concentration_summary

    labels = [0] * 6 + [1] * 6
    out = concentration_summary(labels, [0.1, 0.12, 0.11, 0.09, 0.13, 0.1] + [0.3, 0.28, 0.35, 0.31, 0.29, 0.33])
    assert out["auc"] == 1.0 and out["fake"]["mean"] > out["real"]["mean"]
    assert out["real"]["lo"] < out["real"]["mean"] < out["real"]["hi"]
    flipped = concentration_summary(labels[::-1], [0.1, 0.12, 0.11, 0.09, 0.13, 0.1] + [0.3, 0.28, 0.35, 0.31, 0.29, 0.33])
    assert flipped["auc"] == 0.0


def test_auc_by_quantile_bins_the_fakes():
    from lda_model.evaluation.metrics import auc_by_quantile

    change = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    fake = np.array([0.1, 0.2, 0.6, 0.7, 0.9, 0.95])  # the more visible, the higher the score
    real = np.array([0.3, 0.4])
    bins = auc_by_quantile(change, fake, real)
    assert [b["n"] for b in bins] == [2, 2, 2]
    assert [b["auc"] for b in bins] == [0.0, 1.0, 1.0]  # low-change fakes rank below every real
    assert bins[0]["mean_value"] == 1.5 and bins[2]["mean_score"] == 0.925
    with pytest.raises(ValueError):
        auc_by_quantile(change, fake[:2], real)


def test_metrics_by_group_splits_samples():
    from lda_model.evaluation.metrics import metrics_by_group

    groups = ["photo", "photo", "clip", "clip", "photo", "photo"]
    labels = np.array([0, 1, 0, 1, 0, 1])
    scores = np.array([0.2, 0.9, 0.6, 0.4, 0.1, 0.3])
    out = metrics_by_group(groups, labels, scores)
    assert set(out) == {"photo", "clip"}
    assert out["photo"]["n"] == 4 and out["photo"]["auc"] == 1.0 and out["photo"]["mean_fake"] == 0.6
    assert out["clip"]["auc"] == 0.0 and out["clip"]["mean_real"] == 0.6  # the clip pair is ranked wrong
    with pytest.raises(ValueError):
        metrics_by_group(groups[:2], labels, scores)


def test_binary_metrics():
    m = binary_metrics(np.array([0, 0, 1, 1]), np.array([0.1, 0.6, 0.7, 0.9]))
    assert m["acc"] == 0.75 and m["auc"] == 1.0
    assert np.isnan(binary_metrics(np.array([1, 1]), np.array([0.2, 0.9]))["auc"])


def test_localization_report_measures_a_forgery_map_head_like_the_other_maps(tiny_cache, tiny_config, face_clip):
    import torch

    from lda_model import LDADetector
    from lda_model.evaluation.localization import localization_report

    torch.manual_seed(1)
    model = LDADetector(tiny_config.replace(mask_head_from=2)).eval()
    rec = localization_report(model, "tiny", [face_clip], data=tiny_cache, points=2)
    for r in (rec, rec["random_weights"]):  # the untrained baseline has the head too
        assert "forgery_map" in r["blend_attention"] and 0 <= r["forgery_map_rise_rate"] <= 1
        assert all("forgery_map_rise_rate" in r["per_defect"][d] for d in r["per_defect"])
    assert rec["blend_attention"]["forgery_map"] != rec["random_weights"]["blend_attention"]["forgery_map"]


def test_a_broken_face_model_is_one_error_line_and_exit_2(monkeypatch, capsys):
    from lda_model.evaluation import command
    from lda_model.inference.faces import FaceModelError

    def broken(argv):
        raise FaceModelError("checksum mismatch")

    monkeypatch.setattr(command, "run", broken)
    assert command.main(["synthetic", "--data", "cache/none", "--weights", "default"]) == 2
    assert capsys.readouterr().err == "error: checksum mismatch\n"
