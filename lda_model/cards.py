"""Model cards: written next to each checkpoint, read back by the app (never typed twice).

Measured numbers live in the card's metadata as Hugging Face `model-index` eval results, so the
Hub, `huggingface_hub.ModelCard` and the app all read the same values.
"""

from __future__ import annotations

import json
from pathlib import Path

from huggingface_hub import EvalResult, ModelCard, ModelCardData

# The paper's Tables V-VII (FaceForensics++). Left empty here: fill them in from the paper's
# PDF (arXiv 2106.12832) — the app shows whatever this file holds next to our measurements.
PAPER_TABLES = Path(__file__).resolve().parent / "paper_tables.json"

VARIANT_TABLE = {"backbone_only": "V", "spatial_only": "V", "temporal_only": "V", "default": "V/VI/VII",
                 "m1": "VI", "m2": "VI", "m3": "VI", "m5": "VI", "n2": "VII", "n4": "VII", "n5": "VII"}


def write_card(folder: str | Path, title: str, body: str, results: list[dict], training: dict | None = None) -> Path:
    """results: [{"dataset": str, "metric": "auc"|"accuracy", "value": float, "name": str}];
    training: `release.training_summary` ({"init", "epochs", "clips", "hours"}), kept in the metadata."""
    evals = [EvalResult(task_type="video-classification", task_name="deepfake detection",
                        dataset_type=r["dataset"], dataset_name=r.get("dataset_name", r["dataset"]),
                        metric_type=r["metric"], metric_value=float(r["value"]), metric_name=r.get("name"))
             for r in results]
    data = ModelCardData(license="mit", library_name="lda-deepfake", model_name=title, eval_results=evals or None,
                         tags=["deepfake-detection", "video-classification", "explainability", "pytorch_model_hub_mixin"],
                         **({"lda_training": training} if training else {}))
    card = ModelCard.from_template(data, template_str="---\n{{ card_data }}\n---\n\n" + body)
    path = Path(folder) / "README.md"
    card.save(path)
    return path


def _card_data(folder: str | Path) -> ModelCardData | None:
    path = Path(folder) / "README.md"
    return ModelCard.load(path).data if path.is_file() else None


def read_results(folder: str | Path, data: ModelCardData | None = None) -> dict[tuple[str, str], float]:
    """{(dataset, metric): value} from a checkpoint folder's card (empty when there is none)."""
    data = data if data is not None else _card_data(folder)
    return {(r.dataset_type, r.metric_type): float(r.metric_value) for r in (data.eval_results or [])} if data else {}


def read_training(folder: str | Path, data: ModelCardData | None = None) -> dict:
    """The card's `lda_training` metadata ({"init", "epochs", "clips", "hours"}), or {}."""
    data = data if data is not None else _card_data(folder)
    return dict(data.to_dict().get("lda_training") or {}) if data else {}


def training_text(training: dict) -> str:
    """'20 ep from scratch' / '1 ep from `default`' ('—' when the card does not say)."""
    if not training:
        return "—"
    init = training.get("init", "scratch")
    return f"{training['epochs']} ep " + ("from scratch" if init == "scratch" else f"from `{init}`")


def paper_values() -> dict:
    if PAPER_TABLES.is_file():
        return json.loads(PAPER_TABLES.read_text())
    return {}


def variant_results(weights_dir: str | Path | None = None, dataset: str = "synthetic-test") -> list[dict]:
    """One row per bundled variant: measured AUC/ACC on `dataset` (from its card) and the paper's."""
    from .weights import WEIGHTS_DIR

    root = Path(weights_dir or WEIGHTS_DIR)
    paper = paper_values()
    rows = []
    for name, table in VARIANT_TABLE.items():
        folder = root / name
        if not (folder / "model.safetensors").is_file():
            continue
        data = _card_data(folder)  # parsed once for both reads
        res = read_results(folder, data)
        p = paper.get(name, {})
        rows.append({"variant": name, "table": table, "trained": training_text(read_training(folder, data)), "measured_auc": res.get((dataset, "auc")),
                     "measured_acc": res.get((dataset, "accuracy")), "paper_auc": p.get("auc"), "paper_acc": p.get("acc")})
    return rows


def results_markdown(weights_dir: str | Path | None = None) -> str:
    """A markdown table of every bundled checkpoint's measured numbers (from its card)."""
    from .weights import WEIGHTS_DIR

    root = Path(weights_dir or WEIGHTS_DIR)
    cols = {("synthetic-val", "auc"): "val AUC", ("synthetic-test", "auc"): "synthetic test AUC", ("synthetic-test", "accuracy"): "ACC",
            ("synthetic-test-segments", "auc"): "segment AUC", ("external-dev", "auc"): "external_dev AUC",
            ("external-dev", "accuracy"): "ACC", ("localization-heldout", "hit_rate"): "localization hit",
            ("localization-heldout", "rise_rate"): "rise"}
    lines = ["| checkpoint | table | trained | " + " | ".join(cols.values()) + " |", "|---" * (len(cols) + 3) + "|"]
    for name, table in VARIANT_TABLE.items():
        if not (root / name / "model.safetensors").is_file():
            continue
        data = _card_data(root / name)
        res = read_results(root / name, data)
        cells = [f"{res[c]:.4f}" if c in res else "—" for c in cols]  # as stored in the card: no second rounding
        lines.append(f"| `{name}` | {table} | {training_text(read_training(root / name, data))} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m lda_model.cards  -> the README's results table
    print(results_markdown())
