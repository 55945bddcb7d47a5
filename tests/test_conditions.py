"""evaluation/conditions.py: recording conditions applied on purpose."""


import cv2
import numpy as np
import pytest

from lda_model.evaluation.conditions import degrade_frame
from lda_model.data.animation import load_face_photo


def sharpness(img: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY), cv2.CV_64F).var())


def test_degrade_frame_keeps_the_size_and_removes_detail_or_light():
    face = np.ascontiguousarray(load_face_photo()[:160, :128])
    for kind, amount in (("blur", 1.0), ("resample", 48)):
        out = degrade_frame(face, kind, amount)
        assert out.shape == face.shape and out.dtype == np.uint8
        assert sharpness(out) < 0.6 * sharpness(face)
    dark = degrade_frame(face, "dark", 0.5)
    assert dark.shape == face.shape and dark.mean() == pytest.approx(0.5 * face.mean(), abs=1.0)
    with pytest.raises(ValueError, match="unknown degradation"):
        degrade_frame(face, "sharpen", 1.0)
