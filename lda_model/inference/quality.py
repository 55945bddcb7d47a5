"""Is the face in a clip like the faces the detector trained on? Brightness and fine detail.

    python -m tools.quality_reference --data cache/real_faces [--split train] [--json]   # the reference values

`benchmarks.degradations` measured that ordinary damage to a *real* clip can make `default` call
it fake: on the 10 real clips of held-out identities, darkened to half their brightness or
softened (a 2 px blur at 480p, a 120p video upscaled), the mean score rose from 0.21 to
0.59-0.68 and 6-7 of the 10 scored FAKE (1 clean). Training never showed the detector real
faces like that. So `predict` and the app measure two things on
the main face's crops and add a note when either lies below what nearly all training faces had:

- **brightness**: mean luma (0-255) of the central half of the crop, where the face is;
- **detail**: variance of the Laplacian of that region at 128 px (fine texture; blur, upscaling
  and darkness lower it).

The reference values are the 1st percentiles over the clip segments of the train split of
`real_faces` (frame t of each of 1 316 segments), printed by the command above (`reference_table`). A note is a
caution about the input, not a verdict: some real held-out clips are that soft too.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MEASURE_SIZE = 128  # crops are measured at this side, so every preset's crops compare alike
# 1st percentiles of frame t over the 1 316 train clip segments of real_faces (the command above)
REFERENCE_BRIGHTNESS = 76.2
REFERENCE_DETAIL = 108.5


@dataclass(frozen=True)
class FaceQuality:
    brightness: float  # mean luma of the central half of the crop, 0-255 (median over the crops)
    detail: float  # variance of the Laplacian of that region at 128 px (median over the crops)

    def notes(self, label: str | None = None, min_brightness: float = REFERENCE_BRIGHTNESS,
              min_detail: float = REFERENCE_DETAIL) -> list[str]:
        """Plain-language cautions for a face outside the range training covered (empty when inside).

        One rule wherever a verdict is shown: a caution names the condition and what it did to real
        faces in testing; only for `label` "FAKE" does it add that this verdict may be a false alarm
        (a REAL verdict is not made doubtful by a condition that pushes real faces towards FAKE)."""
        tail = " This FAKE verdict may be a false alarm." if label == "FAKE" else ""
        out = []
        if self.brightness < min_brightness:
            out.append(f"The face is darker (brightness {self.brightness:.0f}) than 99 % of the training faces "
                       f"({min_brightness:.0f}); real faces this dark were scored as fakes more often in testing." + tail)
        if self.detail < min_detail:
            out.append(f"The face has less fine detail (sharpness {self.detail:.0f}) than 99 % of the training "
                       f"faces ({min_detail:.0f}): blurred, out of focus or upscaled from a low resolution; real "
                       "faces this soft were scored as fakes more often in testing." + tail)
        return out


def crop_measures(crop: np.ndarray) -> tuple[float, float]:
    """(S, S, 3) uint8 RGB face crop -> (brightness, detail) of its central half at `MEASURE_SIZE`."""
    if crop.shape[0] != MEASURE_SIZE or crop.shape[1] != MEASURE_SIZE:
        interp = cv2.INTER_AREA if crop.shape[0] > MEASURE_SIZE else cv2.INTER_LINEAR
        crop = cv2.resize(crop, (MEASURE_SIZE, MEASURE_SIZE), interpolation=interp)
    lo, hi = MEASURE_SIZE // 4, 3 * MEASURE_SIZE // 4
    grey = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2GRAY)[lo:hi, lo:hi]  # (S/2, S/2)
    return float(grey.mean()), float(cv2.Laplacian(grey, cv2.CV_64F).var())


def face_quality(crops: np.ndarray | list[np.ndarray]) -> FaceQuality:
    """Crops (K, S, S, 3) of one face at K moments -> the median of each measure over them."""
    if len(crops) == 0:
        raise ValueError("no crops to measure")
    values = np.array([crop_measures(c) for c in crops])  # (K, 2)
    b, d = np.median(values, axis=0)
    return FaceQuality(brightness=float(b), detail=float(d))


def reference_table(store) -> dict[str, dict[str, list[float]]]:
    """Percentiles 1, 5, 50 of each measure over frame t of every segment of a `SegmentStore`, per kind."""
    out = {}
    for kind, segments in sorted(store.segments_by_kind.items()):
        values = np.array([crop_measures(store.crops[s.item][s.index, 0]) for s in segments])  # (N, 2)
        out[kind] = {"segments": len(segments),
                     "brightness_p1_p5_p50": np.percentile(values[:, 0], [1, 5, 50]).round(1).tolist(),
                     "detail_p1_p5_p50": np.percentile(values[:, 1], [1, 5, 50]).round(1).tolist()}
    return out
