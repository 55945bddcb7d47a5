"""release/cards.replace_measured and release/remeasure: a card's measurement replaced in place, the rest kept."""

import shutil

import pytest

from lda_model.release.cards import read_results, replace_measured, write_card

BODY = """# a card

## Measured
- **synthetic**: `{"video": {"auc": 0.9}}`
  ```
  python -m lda_model.evaluate synthetic --weights w
  ```
- **localization**: `{"rise_rate": 0.4}`
  ```
  python -m lda_model.evaluate localization --weights w --points 16
  ```

## Limits
Small samples.
"""


def _card(folder):
    write_card(folder, "lda-test", BODY, [
        {"dataset": "synthetic-test", "metric": "auc", "value": 0.9, "name": "video AUC"},
        {"dataset": "localization-heldout", "metric": "rise_rate", "value": 0.4, "name": "rises"}])
    return folder


def test_replace_measured_swaps_one_bullet_and_its_rows_and_keeps_the_rest(tmp_path):
    folder = _card(tmp_path)
    new = [{"dataset": "localization-heldout", "metric": "rise_rate", "value": 0.5, "name": "rises"},
           {"dataset": "localization-heldout", "metric": "forgery_map_cam_rise_rate", "value": 0.8, "name": "new map"}]
    replace_measured(folder, new, "localization", '- **localization**: `{"rise_rate": 0.5}`\n  ```\n  cmd new\n  ```')
    text = (folder / "README.md").read_text()
    assert '{"rise_rate": 0.4}' not in text and "cmd new" in text and "--points 16" not in text
    assert text.index("**synthetic**") < text.index("**localization**") < text.index("## Limits")
    assert text.rstrip().endswith("## Limits\nSmall samples.")
    assert read_results(folder) == {("synthetic-test", "auc"): 0.9, ("localization-heldout", "rise_rate"): 0.5,
                                    ("localization-heldout", "forgery_map_cam_rise_rate"): 0.8}
    # a key the card did not have ends the section
    replace_measured(folder, [], "generated", '- **generated**: `{}`\n  ```\n  cmd gen\n  ```')
    text = (folder / "README.md").read_text()
    assert text.index("**localization**") < text.index("**generated**") < text.index("## Limits")
    assert text.count("- **") == 3


def test_replace_bullet_keeps_every_other_line_of_the_section():
    from lda_model.release.cards import replace_bullet

    text = ("# c\n\n## Measured\nNumbers below are on test.\n\n- **a**: `{}`\n  ```\n  cmd a\n  ```\n\n"
            "A note on a.\n\n### More\n- **b**: `{}`\n  ```\n  cmd b\n  ```\n")
    out = replace_bullet(text, "a", "- **a**: `{\"new\": 1}`\n  ```\n  cmd new\n  ```")
    assert out == text.replace("- **a**: `{}`\n  ```\n  cmd a\n  ```", "- **a**: `{\"new\": 1}`\n  ```\n  cmd new\n  ```")
    added = replace_bullet(text, "z", "- **z**: `{}`")  # not there: after the section's last bullet, before "###"
    assert added == text.replace("  cmd a\n  ```\n", "  cmd a\n  ```\n- **z**: `{}`\n", 1)
    last = "## Measured\n- **a**: `{}`\n  ```\n  cmd a\n  ```"  # the section ends the file
    assert replace_bullet(last, "a", "- **a**: `{1}`") == "## Measured\n- **a**: `{1}`"
    assert replace_bullet("## Measured\n\n## Limits", "a", "- **a**: x") == "## Measured\n- **a**: x\n\n## Limits"


def test_replace_measured_drops_every_old_row_of_the_datasets_it_covers(tmp_path):
    folder = _card(tmp_path)
    replace_measured(folder, [{"dataset": "localization-heldout", "metric": "hit_rate", "value": 0.9, "name": "hit"}],
                     "localization", "- **localization**: `{}`", frozenset({"localization-heldout"}))
    assert read_results(folder) == {("synthetic-test", "auc"): 0.9, ("localization-heldout", "hit_rate"): 0.9}


def test_replace_measured_refuses_a_card_without_a_measured_section(tmp_path):
    write_card(tmp_path, "lda-test", "# a card\n\nNo numbers.\n", [])
    with pytest.raises(ValueError, match="no '## Measured' section"):
        replace_measured(tmp_path, [], "localization", "- **localization**: `{}`")


def test_remeasure_writes_the_localization_report_into_the_card(tmp_path, tiny_weights, tiny_cache, face_clip):
    from lda_model.release.remeasure import main, remeasure_localization

    folder = tmp_path / "tiny"
    shutil.copytree(tiny_weights, folder)
    _card(folder)
    res = remeasure_localization(str(folder), tiny_cache, str(face_clip), None, points=2)
    rows = read_results(folder)
    assert rows[("localization-heldout", "rise_rate")] == res["rise_rate"]  # the report's, not the card's old 0.4
    assert ("localization-random", "rise_rate") in rows and ("synthetic-test", "auc") in rows
    assert any(ds == "blend-attention-test" for ds, _ in rows)
    text = (folder / "README.md").read_text()
    assert "python -m lda_model.evaluate localization --videos" in text and '{"rise_rate": 0.4}' not in text
    assert "measured again on" in text and text.index("measured again on") < text.index("## Limits")
    with pytest.raises(SystemExit, match="no model card with a '## Measured' section"):  # the Hub mixin's card
        main(["--weights", str(tiny_weights), "--data", str(tiny_cache), "--videos", str(face_clip)])
