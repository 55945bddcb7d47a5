"""tools/quality_reference.py: the percentiles the quality check compares with, from a training cache."""

import json

import numpy as np

from lda_model.data.store import SegmentStore
from lda_model.inference.quality import crop_measures
from tools.quality_reference import main


def test_reference_is_the_percentiles_of_frame_t(tiny_cache, capsys):
    assert main(["--data", str(tiny_cache), "--json"]) == 0
    table = json.loads(capsys.readouterr().out)
    store = SegmentStore(tiny_cache, "train")
    for kind, segments in store.segments_by_kind.items():
        values = np.array([crop_measures(store.crops[s.item][s.index, 0]) for s in segments])  # (N, 2)
        row = table[kind]
        assert row["segments"] == len(segments)
        np.testing.assert_allclose(row["brightness_p1_p5_p50"], np.percentile(values[:, 0], [1, 5, 50]), atol=0.051)
        np.testing.assert_allclose(row["detail_p1_p5_p50"], np.percentile(values[:, 1], [1, 5, 50]), atol=0.051)


def test_a_missing_cache_is_a_clear_error(tmp_path, capsys):
    assert main(["--data", str(tmp_path / "missing")]) == 2
    assert "error:" in capsys.readouterr().err
