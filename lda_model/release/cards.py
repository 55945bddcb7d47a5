"""Model cards: written next to each checkpoint, read back by the app (never typed twice).

Measured numbers live in the card's metadata as Hugging Face `model-index` eval results, so the
Hub, `huggingface_hub.ModelCard` and the app all read the same values.
"""

from __future__ import annotations

import json
from pathlib import Path

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from ..inference.weights import PAPER_FULL, VARIANT_TABLE  # the one registry of bundled checkpoints
from ..paths import WEIGHTS_DIR

# The paper's Tables V-VII (FaceForensics++ HQ), as printed in its text; the app shows them beside ours.
PAPER_TABLES = Path(__file__).resolve().parent / "paper_tables.json"



def write_card(folder: str | Path, title: str, body: str, results: list[dict], training: dict | None = None) -> Path:
    """results: [{"dataset": str, "metric": "auc"|"accuracy", "value": float, "name": str}];
    training: `release.training_summary` ({"init", "epochs", "clips", "hours"}), kept in the metadata."""
    evals = _eval_results(results)
    data = ModelCardData(license="mit", library_name="lda-deepfake", model_name=title, eval_results=evals or None,
                         tags=["deepfake-detection", "video-classification", "explainability", "pytorch_model_hub_mixin"],
                         **({"lda_training": training} if training else {}))
    card = ModelCard.from_template(data, template_str="---\n{{ card_data }}\n---\n\n" + body)
    path = Path(folder) / "README.md"
    card.save(path)
    return path


def _eval_results(results: list[dict]) -> list[EvalResult]:
    return [EvalResult(task_type="video-classification", task_name="deepfake detection", dataset_type=r["dataset"],
                       dataset_name=r.get("dataset_name", r["dataset"]), metric_type=r["metric"],
                       metric_value=float(r["value"]), metric_name=r.get("name")) for r in results]


def _merge_results(card: ModelCard, results: list[dict], datasets: frozenset[str] = frozenset()) -> None:
    """The card's metadata rows with `results` (as in `write_card`) in place of those of the same dataset
    and metric, and of every row of `datasets`."""
    new = {(r["dataset"], r["metric"]) for r in results}
    kept = [e for e in (card.data.eval_results or [])
            if (e.dataset_type, e.metric_type) not in new and e.dataset_type not in datasets]
    card.data.eval_results = kept + _eval_results(results)


MEASURED = "## Measured"  # the heading of a card's section of measurements (`ship.card_body`)


def has_measured(text: str) -> bool:
    """Does a card's Markdown have a *Measured* section?"""
    return MEASURED in text.split("\n")


def _block_end(lines: list[str], at: int, end: int) -> int:
    """The first line from `at` on (before `end`) that is not indented under a bullet."""
    while at < end and lines[at].startswith("  "):
        at += 1
    return at


def replace_bullet(text: str, key: str, line: str) -> str:
    """A card's Markdown with `line` (a *Measured* bullet, `ship.measured_line`: `- **key**: ...` and indented
    lines under it) in place of the bullet for `key` in its *Measured* section, or after that section's last
    bullet when it has none; every other line as it was. ValueError for a text without the section."""
    if not has_measured(text):
        raise ValueError(f"the card has no '{MEASURED}' section")
    lines = text.split("\n")
    top = lines.index(MEASURED) + 1
    end = next((i for i in range(top, len(lines)) if lines[i].startswith("#")), len(lines))
    mine = next((i for i in range(top, end) if lines[i].startswith(f"- **{key}**:")), None)
    if mine is not None:  # the bullet and its command block make way
        start, stop = mine, _block_end(lines, mine + 1, end)
    else:  # after the last bullet and its block, else at the section's start
        last = max((i for i in range(top, end) if lines[i].startswith("- ")), default=None)
        start = stop = top if last is None else _block_end(lines, last + 1, end)
    return "\n".join(lines[:start] + line.split("\n") + lines[stop:])


def replace_measured(folder: str | Path, results: list[dict], key: str, line: str,
                     datasets: frozenset[str] = frozenset()) -> Path:
    """Put a new measurement into an existing card, saved once: `results` (as in `write_card`) replace the
    metadata rows of the same dataset and metric and every row of `datasets` (what the measurement covers, so
    no old row outlives it), and `line` replaces the *Measured* bullet for `key` (`replace_bullet`).
    ValueError for a card without a *Measured* section."""
    path = Path(folder) / "README.md"
    card = ModelCard.load(path)
    try:
        card.text = replace_bullet(card.text, key, line)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
    _merge_results(card, results, datasets)
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
    start = {"scratch": "from scratch", "imagenet": "from ImageNet"}.get(init, f"from `{init}`")
    return f"{training['epochs']} ep {start}"


def paper_values() -> dict:
    if PAPER_TABLES.is_file():
        return json.loads(PAPER_TABLES.read_text())
    return {}


def variant_results(weights_dir: str | Path | None = None, dataset: str = "synthetic-test") -> list[dict]:
    """One row per bundled variant: measured AUC/ACC on `dataset` (from its card) and the paper's."""
    root = Path(weights_dir or WEIGHTS_DIR)
    paper = paper_values()
    rows = []
    for name, table in VARIANT_TABLE.items():
        folder = root / name
        if not (folder / "model.safetensors").is_file():
            continue
        data = _card_data(folder)  # parsed once for both reads
        res = read_results(folder, data)
        p = paper.get("full" if name in PAPER_FULL else name, {})
        rows.append({"variant": name, "table": table, "trained": training_text(read_training(folder, data)), "measured_auc": res.get((dataset, "auc")),
                     "measured_acc": res.get((dataset, "accuracy")), "paper_auc": p.get("auc"), "paper_acc": p.get("acc")})
    return rows


def results_markdown(weights_dir: str | Path | None = None) -> str:
    """A markdown table of every bundled checkpoint's measured numbers (from its card)."""
    root = Path(weights_dir or WEIGHTS_DIR)
    cols = {("external-benchmarks", "auc"): "benchmarks AUC", ("synthetic-val", "auc"): "val AUC", ("synthetic-test", "auc"): "synthetic test AUC", ("synthetic-test", "accuracy"): "ACC",
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
        lines.append(f"| `{name}` | {table or '—'} | {training_text(read_training(root / name, data))} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


BENCHMARK_SETS = (("external-benchmarks", "all 43 clips"), ("external-benchmarks-FF++", "FF++ fakes"),
                  ("external-benchmarks-Celeb-DF", "Celeb-DF fakes"), ("external-benchmarks-DFDC", "DFDC fakes"))


def benchmarks_markdown(names: list[str], weights_dir: str | Path | None = None) -> str:
    """The README's headline table: benchmark video AUC (95 % interval) per checkpoint, from the cards."""
    root = Path(weights_dir or WEIGHTS_DIR)
    lines = ["| checkpoint | " + " | ".join(label for _, label in BENCHMARK_SETS) + " | synthetic test |",
             "|---" * (len(BENCHMARK_SETS) + 2) + "|"]
    for name in names:
        res = read_results(root / name)

        def cell(ds):
            if (ds, "auc") not in res:
                return "—"
            lo, hi = res.get((ds, "auc_ci95_lo")), res.get((ds, "auc_ci95_hi"))
            return f"{res[(ds, 'auc')]:.2f}" + (f" ({lo:.2f}–{hi:.2f})" if lo is not None and hi is not None else "")

        synth = res.get(("synthetic-test", "auc"))
        lines.append(f"| `{name}` | " + " | ".join(cell(ds) for ds, _ in BENCHMARK_SETS)
                     + f" | {'—' if synth is None else f'{synth:.3f}'} |")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m lda_model.release.cards  -> the README's two tables
    print(benchmarks_markdown(["default", "xception_lite"]) + "\n\n" + results_markdown())
