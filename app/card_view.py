"""A model card as a reader sees it: a small table of facts, the measured numbers as a table, then
the card's text without raw JSON or the maintainers' data paths. Pure: card text in, markdown out."""

from __future__ import annotations

import re

from huggingface_hub import ModelCard

# dataset type in a card -> what a reader calls it
DATASET_NAMES = {
    "external-benchmarks": "benchmark clips (FF++, Celeb-DF, DFDC), all",
    "external-benchmarks-FF++": "benchmark clips, FF++ fakes",
    "external-benchmarks-Celeb-DF": "benchmark clips, Celeb-DF fakes",
    "external-benchmarks-DFDC": "benchmark clips, DFDC fakes",
    "synthetic-test": "synthesized forgeries, test people",
    "synthetic-test-segments": "synthesized forgeries, test people (segments)",
    "synthetic-val": "synthesized forgeries, validation people",
    "external-dev": "other real-world clips (13)",
    "localization-heldout": "defect experiment (Fig. 8)",
    "blend-attention-test": "maps on blended patches (test people)",
    "labelled-test": "labelled fakes, test split",
}
_JSON_BULLET = re.compile(r"^(- \*\*[^*]+\*\*): `\{.*\}`\s*$")
_DATA_PATH = re.compile(r"(\.\./)+shared/data/[\w./-]*|/work/[\w./-]*")


def _fmt(v: float | None) -> str:
    return "—" if v is None or v != v else f"{v:.3f}"


def _metrics_table(results: dict[tuple[str, str], float]) -> str:
    rows: dict[str, dict[str, float]] = {}
    for (dataset, metric), value in results.items():
        rows.setdefault(dataset, {})[metric] = value
    lines = ["| measured on | AUC | 95 % interval | ACC | other |", "|---|---|---|---|---|"]
    for dataset, m in rows.items():
        interval = (f"{m['auc_ci95_lo']:.2f}–{m['auc_ci95_hi']:.2f}"
                    if "auc_ci95_lo" in m and "auc_ci95_hi" in m else "")
        other = ", ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in m.items()
                          if k not in ("auc", "accuracy", "auc_ci95_lo", "auc_ci95_hi"))
        lines.append(f"| {DATASET_NAMES.get(dataset, dataset)} | {_fmt(m.get('auc'))} | {interval} | "
                     f"{_fmt(m.get('accuracy'))} | {other} |")
    return "\n".join(lines)


def clean_text(text: str) -> str:
    """The card's body without the evaluations' raw JSON and with data paths as DATA."""
    out = []
    for line in text.splitlines():
        m = _JSON_BULLET.match(line)
        out.append(m.group(1) if m else _DATA_PATH.sub("DATA", line))
    return "\n".join(out)


def render_card(card_text: str) -> str:
    """Markdown for the app's Model tab from a model card's full text (front matter included)."""
    if not card_text.strip():
        return ""
    try:
        card = ModelCard(card_text, ignore_metadata_errors=True)
    except Exception:  # noqa: BLE001 - a card that does not parse is shown as cleaned text
        return clean_text(re.sub(r"\A---\n.*?\n---\n", "", card_text, flags=re.S))
    data = card.data.to_dict()
    facts = [("model", getattr(card.data, "model_name", None) or data.get("model_name")), ("licence", data.get("license")),
             ("library", data.get("library_name"))]
    training = data.get("lda_training") or {}
    if training:
        facts.append(("trained", f"{training.get('epochs')} epochs, {training.get('clips')} clips, "
                                 f"{training.get('hours')} h, from {training.get('init')}"))
    head = "| | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in facts if v)
    results = {(r.dataset_type, r.metric_type): float(r.metric_value) for r in (card.data.eval_results or [])}
    parts = [head]
    if results:
        parts.append("#### Measured\n" + _metrics_table(results))
    parts.append(clean_text(card.text))
    return "\n\n".join(parts)
