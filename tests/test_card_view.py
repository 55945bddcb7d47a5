"""The Model tab's card rendering (`app/card_view.py`)."""

from app.card_view import clean_text, render_card
from lda_model.release.cards import write_card


def test_card_renders_facts_and_metrics_as_tables_without_json_or_data_paths(tmp_path):
    body = ("# A card\n\n## Measured\n- **synthetic**: `{\"video\": {\"auc\": 0.9}}`\n  ```\n"
            "  python -m lda_model.evaluate --labels ../shared/data/external_dev/LABELS.tsv\n  ```\n")
    results = [{"dataset": "external-benchmarks", "metric": "auc", "value": 0.8, "name": "x"},
               {"dataset": "external-benchmarks", "metric": "auc_ci95_lo", "value": 0.6, "name": "lo"},
               {"dataset": "external-benchmarks", "metric": "auc_ci95_hi", "value": 0.95, "name": "hi"}]
    write_card(tmp_path, "lda-test", body, results, {"init": "imagenet", "epochs": 3, "clips": 96, "hours": 0.1})
    md = render_card((tmp_path / "README.md").read_text())
    assert md.startswith("| | |") and "| model | lda-test |" in md and "3 epochs, 96 clips" in md
    assert "| benchmark clips (FF++, Celeb-DF, DFDC), all | 0.800 | 0.60–0.95 |" in md
    assert "---\n" not in md.split("#### Measured")[0].replace("|---|---|", "")  # no YAML front matter
    assert "{" not in md and "../shared" not in md and "--labels DATA" in md
    assert "- **synthetic**" in md


def test_clean_text_and_empty_cards():
    assert clean_text("see /work/main/assets and ../shared/data/x.tsv") == "see DATA and DATA"
    assert render_card("") == ""
    assert "plain" in render_card("---\nnot: [valid\n---\nplain text")
