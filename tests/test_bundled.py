"""What ships in assets/: checkpoints with honest cards, the landmarker, the demo clips."""

import hashlib
import json
import re
from pathlib import Path

import pytest
import torch

from lda_model import LDADetector
from lda_model.model.config import LDAConfig
from lda_model.release.cards import VARIANT_TABLE, benchmarks_markdown, read_results, read_training, results_markdown
from lda_model.release.ship import DEGRADATION_LIMIT
from lda_model.inference.faces import FACE_MODEL_SHA256
from lda_model.inference.video import count_frames
from lda_model.inference.weights import (TABLE_V, TABLE_V_FULL, TABLE_VI, TABLE_VI_FULL, TABLE_VII, TABLE_VII_FULL,
                                         bundled_weights)
from lda_model.paths import WEIGHTS_DIR

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def test_landmarker_checksum():
    data = (ASSETS / "models" / "face_landmarker.task").read_bytes()
    assert hashlib.sha256(data).hexdigest() == FACE_MODEL_SHA256
    assert (ASSETS / "models" / "LICENSE-face_landmarker.md").read_text().count("Apache") >= 1


def test_example_clips_decode():
    names = json.loads((ASSETS / "examples" / "examples.json").read_text())
    assert len(names) == 3
    for name in names:
        assert count_frames(ASSETS / "examples" / name) == 60


def test_default_and_variants_are_bundled():
    assert set(VARIANT_TABLE) <= set(bundled_weights())


@pytest.mark.parametrize("table, full", [(TABLE_V, TABLE_V_FULL), (TABLE_VI, TABLE_VI_FULL),
                                         (TABLE_VII, TABLE_VII_FULL)],
                         ids=["V", "VI", "VII"])
def test_each_paper_table_is_one_recipe(table, full):
    """Every variant of a table shares its full model's backbone, sizes and init: only its own change differs."""
    def recipe(name):  # the saved config and card only: no network built
        cfg = LDAConfig.from_dict(json.loads((WEIGHTS_DIR / name / "config.json").read_text()))
        return (cfg.backbone, cfg.backbone_size, cfg.backbone_pretrained, cfg.attention_size, cfg.patch_size,
                read_training(WEIGHTS_DIR / name)["init"])
    assert full in table.values()
    assert {name: recipe(name) for name in table.values()} == {name: recipe(full) for name in table.values()}


@pytest.mark.parametrize("name", sorted(VARIANT_TABLE))
def test_bundled_checkpoint(name):
    folder = WEIGHTS_DIR / name
    assert (folder / "model.safetensors").stat().st_size < 10_000_000
    model = LDADetector.from_pretrained(folder)
    cfg = model.config
    expected = {"m1": ("num_maps", 1), "m2": ("num_maps", 2), "m3": ("num_maps", 3), "m5": ("num_maps", 5),
                "n2": ("num_frames", 2), "n4": ("num_frames", 4), "n5": ("num_frames", 5),
                "spatial_only": ("use_temporal", False), "temporal_only": ("use_spatial", False),
                "backbone_only": ("use_spatial", False)}.get(name, ("num_maps", 4))
    assert getattr(cfg, expected[0]) == expected[1]
    assert all(p.dtype == torch.float32 for p in model.parameters())  # fp16 on disk, fp32 in memory
    card = (folder / "README.md").read_text()
    # its reproduce commands point at this folder (or the card's THIS placeholder), never at a staging one
    assert set(re.findall(r"--weights (\S+?)[`\s]", card)) <= {name, "THIS"} and "assets/weights/next" not in card
    pretrained = cfg.backbone_pretrained == "imagenet"
    assert "What it saw" in card and ("ImageNet-1k weights" if pretrained else "from scratch") in card
    results = read_results(folder)
    training = read_training(folder)  # how it trained, shown next to its numbers
    assert training["epochs"] >= 1 and training["init"] in {"scratch", "imagenet", *VARIANT_TABLE}
    assert (training["init"] == "scratch") == ("init: random" in card)
    assert (training["init"] == "imagenet") == pretrained
    assert DEGRADATION_LIMIT in card.split("## Limits")[1]  # the Limits say what it never saw
    # a shipped checkpoint has learned the synthetic task on people it never saw (chance is 0.5)
    assert results[("synthetic-test", "auc")] >= 0.8 and results[("synthetic-val", "auc")] >= 0.8
    with torch.inference_mode():
        out = model(torch.zeros(1, cfg.clip_length, 3, cfg.backbone_size, cfg.backbone_size))
    assert torch.isfinite(out.logits).all()


def test_defect_lab_text_cites_the_default_card():
    from app.texts import defect_help

    rise = read_results(WEIGHTS_DIR / "default")[("localization-heldout", "rise_rate")]
    assert f"the bundled `default` on {rise:.0%}" in defect_help(rise).more
    assert "`default`" not in defect_help(None).more and "{" not in defect_help(None).more


def test_default_is_the_pretrained_preset_and_measured_on_the_benchmarks():
    cfg = LDADetector.from_pretrained(WEIGHTS_DIR / "default").config
    assert cfg.backbone == "tf_efficientnet_lite0" and cfg.backbone_pretrained == "imagenet"
    results = read_results(WEIGHTS_DIR / "default")
    for ds in ("external-benchmarks", "external-benchmarks-FF++", "external-benchmarks-Celeb-DF",
               "external-benchmarks-DFDC"):
        # a bootstrap interval around the measured AUC, not a point: ~40 clips cannot pin it down
        assert results[(ds, "auc_ci95_lo")] < results[(ds, "auc")] < results[(ds, "auc_ci95_hi")]
    card = (WEIGHTS_DIR / "default" / "README.md").read_text()
    assert "--labels ../shared/data/external_dev/LABELS.tsv --groups benchmarks" in card  # with its command


def test_readme_and_results_tables_are_the_cards_tables():
    """The README's table and docs/results.md's are `python -m lda_model.release.cards` output: no number typed twice."""
    readme = (ASSETS.parent / "README.md").read_text()
    assert benchmarks_markdown(["default", "xception_lite"]) in readme
    assert results_markdown() in (ASSETS.parent / "docs" / "results.md").read_text()
    assert len(readme.splitlines()) <= 200
