"""Comparing a clip with a manipulated version of it (`pairs.py`)."""

import numpy as np
import pytest
import torch

from lda_model import LDAConfig, LDADetector
from lda_model.inference.pipeline import analyze_video
from lda_model.evaluation.defects import apply_defect
from lda_model.inference.faces import FaceDetector
from lda_model.inference.pairs import compare_analyses, summary
from lda_model.data.animation import animate, load_face_photo, write_video


@pytest.fixture(scope="module")
def grid14_detector():
    """A random tiny detector whose maps have the app's 14 x 14 grid (regions need that resolution)."""
    torch.manual_seed(0)
    cfg = LDAConfig.lite(backbone_size=112, attention_size=56, patch_size=4, embed_dim=16, latent_dim=8, num_modules=3)
    return LDADetector(cfg).for_inference()


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """A generated clip and the same clip with its mouth blurred in every frame."""
    folder = tmp_path_factory.mktemp("pair")
    frames = animate(load_face_photo(), 16, size=(256, 256), seed=0)
    with FaceDetector() as det:
        lms = [det.detect(f, i / 25)[0].landmarks for i, f in enumerate(frames)]
    blurred = np.stack([apply_defect(f, lm, "blur_mouth", 2.0)[0] for f, lm in zip(frames, lms)])
    return write_video(folder / "real.mp4", frames), write_video(folder / "mouth.mp4", blurred)


def test_a_clip_compared_with_itself_differs_nowhere(pair, grid14_detector):
    a = analyze_video(pair[0], grid14_detector, num_points=3)
    diffs = compare_analyses(a, a)
    assert len(diffs) == 3 and all(np.abs(d.difference).max() == 0 and d.region is None for d in diffs)
    assert summary(a, a, diffs)["largest_region"] is None


def test_a_blurred_mouth_is_where_the_maps_differ_most(pair, grid14_detector):
    a = analyze_video(pair[0], grid14_detector, num_points=3)
    b = analyze_video(pair[1], grid14_detector, num_points=3)
    # the raw per-patch activation of an untrained model: a local change stays local (its gates mix
    # the temporal residuals in too), so where the difference lies tests the alignment and the regions
    diffs = compare_analyses(a, b, lambda p: p.module_activation)
    assert diffs and all(d.a.index == d.b.index for d in diffs)
    assert all(d.difference.shape == (14, 14) for d in diffs)
    s = summary(a, b, diffs)
    assert s["largest_region"] == "mouth", s
    assert sum(s["regions"].values()) == pytest.approx(100, abs=0.1)
