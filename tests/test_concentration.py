"""inference/concentration.py: 0 for a flat map, 1 for one patch, in between otherwise; in the analysis record."""

import numpy as np
import pytest

from lda_model.inference.concentration import concentration


def test_flat_is_zero_and_one_patch_is_one():
    assert concentration(np.full((14, 14), 0.3)) == pytest.approx(0.0, abs=1e-12)
    peak = np.zeros((14, 14))
    peak[3, 4] = 0.9
    assert concentration(peak) == pytest.approx(1.0)
    assert concentration(np.zeros((14, 14))) == 0.0  # nothing to concentrate
    assert concentration(peak + 0.5) == pytest.approx(1.0)  # a common level does not dilute the peak
    almost_flat = np.full((14, 14), 0.5)
    almost_flat[0, 0] += 1e-9  # float noise is no concentration
    assert concentration(almost_flat) == 0.0


def test_more_concentrated_maps_score_higher():
    rng = np.random.default_rng(0)
    spread = rng.uniform(0.4, 0.6, (14, 14))
    focused = spread.copy()
    focused[5:8, 5:8] += 3.0  # most of the mass on nine patches
    assert 0.0 < concentration(spread) < concentration(focused) < 1.0


def test_the_analysis_reports_it_per_frame_and_per_clip(face_clip, tiny_detector):
    from lda_model.inference.pipeline import analyze_video

    result = analyze_video(face_clip, tiny_detector, num_points=3)
    record = result.to_json()
    per_frame = [f["concentration"] for f in record["frames"] if f["track"] == record["main_track"]]
    assert len(per_frame) == 3 and all(0.0 <= c <= 1.0 for c in per_frame)
    assert record["concentration"] == pytest.approx(np.mean(per_frame), abs=1e-3)
    p = result.tracks[result.main_track][0]
    assert record["frames"][0]["concentration"] == pytest.approx(concentration(p.shown_map()), abs=1e-4)
