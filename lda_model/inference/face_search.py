"""Full-range face search: where the landmarker's own (selfie-distance) detector finds nothing.

MediaPipe's Face Landmarker starts from a short-range face detector made for faces that fill
much of the frame. A person standing in a room (a face of 40-150 px in a 1080p frame), a dim
scene or a three-quarter view often gives it nothing. `FaceSearch` then:

1. runs MediaPipe's *full-range* BlazeFace detector (`face_detection_full_range.tflite`, 192x192
   input, 2304 anchors on a 48x48 grid; Apache-2.0, shipped in `assets/models/`) on the whole
   frame and on overlapping square tiles (a small face in one tile is large enough to be seen);
   frames that are dark are contrast-equalised for this search only;
2. cuts a square region around each box found (`REGION_SCALE` x the box) and upscales it so the
   face is landmarker-sized; `FaceDetector` runs its IMAGE-mode landmarker on that region and
   maps the 478 landmarks back to the frame.

The crops the model sees are cut from the untouched frame. The search is paid only when the
landmarker finds no face on the whole frame; once it found one, `FaceDetector` first retries the
same region at the next analysis point (the track follows the face) and searches again only
when that fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from ..paths import ASSETS

DETECTOR_FILE = "face_detection_full_range.tflite"
INPUT_SIZE = 192
GRID = 48  # INPUT_SIZE / stride 4: one anchor per cell
MIN_SCORE = 0.5
NMS_IOU = 0.3
# Frames whose mean luminance is under this (0-255) are equalised (CLAHE) before the search.
DARK_LUMA = 90.0
# The region handed to the landmarker: this many times the detector's box side, around its centre.
REGION_SCALE = 2.2
# Side the region is resized to: the landmarker then sees the face at ~REGION_SIZE / REGION_SCALE px.
REGION_SIZE = 320


@dataclass(frozen=True)
class Region:
    """A square part of a frame: top-left corner and side in frame pixels."""

    x0: float
    y0: float
    side: float

    @classmethod
    def around(cls, box: np.ndarray, scale: float = REGION_SCALE) -> "Region":
        """The square of `scale` x the box's longer side, centred on box (x0, y0, x1, y1)."""
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        side = float(max(box[2] - box[0], box[3] - box[1])) * scale
        return cls(float(cx - side / 2), float(cy - side / 2), max(side, 8.0))

    def cut(self, frame: np.ndarray, size: int) -> np.ndarray:
        """The region as a size x size image (zeros where it leaves the frame)."""
        s = size / self.side
        m = np.array([[s, 0, -s * self.x0], [0, s, -s * self.y0]], dtype=np.float32)
        return cv2.warpAffine(frame, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)

    def to_frame(self, points: np.ndarray, size: int) -> np.ndarray:
        """(N, 2) pixel coordinates in the cut image -> frame pixels."""
        return (points * (self.side / size) + np.array([self.x0, self.y0])).astype(np.float32)


def anchors() -> np.ndarray:
    """(2304, 2) anchor centres of the full-range model, in [0, 1] input coordinates."""
    c = (np.arange(GRID, dtype=np.float32) + 0.5) / GRID
    ys, xs = np.meshgrid(c, c, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=1)  # (2304, 2), raster order


def decode(regressors: np.ndarray, logits: np.ndarray, min_score: float = MIN_SCORE) -> tuple[np.ndarray, np.ndarray]:
    """Raw outputs (2304, 16) and (2304,) -> boxes (K, 4) in [0, 1] input coordinates and scores (K,)."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -80, 80)))
    keep = scores >= min_score
    reg, anc = regressors[keep], anchors()[keep]
    centre = anc + reg[:, :2] / INPUT_SIZE
    half = reg[:, 2:4] / INPUT_SIZE / 2
    return np.concatenate([centre - half, centre + half], axis=1), scores[keep]


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float = NMS_IOU) -> list[int]:
    """Indices kept by greedy non-maximum suppression, best first."""
    order, kept = list(np.argsort(-scores)), []
    while order:
        i = order.pop(0)
        kept.append(i)
        order = [j for j in order if _iou(boxes[i], boxes[j]) < iou]
    return kept


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return float(w * h / union) if union > 0 else 0.0


def tiles(width: int, height: int) -> list[Region]:
    """The whole frame (as one square around it) and overlapping square tiles at two scales:
    the shorter side, and half of it, each stepped by half a tile along both axes."""
    out = [Region(width / 2 - max(width, height) / 2, height / 2 - max(width, height) / 2, float(max(width, height)))]
    for side in (min(width, height), min(width, height) / 2):
        if side < INPUT_SIZE:  # already finer than the detector's input: nothing more to see
            break
        xs, ys = _offsets(width, side), _offsets(height, side)
        out += [Region(float(x), float(y), float(side)) for y in ys for x in xs]
    return out


def _offsets(length: int, side: float) -> list[float]:
    """Tile starts every half tile, the last one flush with the far edge."""
    last = max(length - side, 0.0)
    starts = list(np.arange(0, last, side / 2)) + [last]
    return [float(v) for v in starts]


def equalise(rgb: np.ndarray) -> np.ndarray:
    """Contrast-limited histogram equalisation of the luminance (for detection only)."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    lab[..., 0] = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(lab[..., 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def detector_path() -> Path:
    path = ASSETS / "models" / DETECTOR_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{DETECTOR_FILE} is missing from {path.parent}")
    return path


class FaceSearch:
    """Full-range BlazeFace over the frame and its tiles -> face boxes in frame pixels."""

    def __init__(self, model_path: str | Path | None = None, min_score: float = MIN_SCORE) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.min_score = min_score
        self._net = Interpreter(model_path=str(model_path or detector_path()), num_threads=1)
        self._net.allocate_tensors()
        self._input = self._net.get_input_details()[0]["index"]
        outs = {o["name"]: o["index"] for o in self._net.get_output_details()}
        self._reg = next(v for k, v in outs.items() if "regressor" in k)
        self._cls = next(v for k, v in outs.items() if "classifier" in k)

    def detect_square(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Boxes (K, 4) in [0, 1] of a square RGB image and their scores (K,)."""
        x = cv2.resize(image, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_AREA)
        x = (x.astype(np.float32) / 127.5 - 1.0)[None]  # (1, 192, 192, 3) in [-1, 1]
        self._net.set_tensor(self._input, x)
        self._net.invoke()
        reg = self._net.get_tensor(self._reg)[0]  # (2304, 16)
        cls = self._net.get_tensor(self._cls)[0, :, 0]  # (2304,)
        return decode(reg, cls, self.min_score)

    def find(self, rgb: np.ndarray, max_faces: int = 4) -> list[np.ndarray]:
        """Face boxes (x0, y0, x1, y1) in frame pixels, best first, at most `max_faces`."""
        h, w = rgb.shape[:2]
        image = equalise(rgb) if float(rgb.mean()) < DARK_LUMA else rgb
        boxes, scores = [], []
        for region in tiles(w, h):
            size = int(min(max(region.side, 1), 4 * INPUT_SIZE))
            found, score = self.detect_square(region.cut(image, size))
            for b, s in zip(found, score):
                pts = region.to_frame(b.reshape(2, 2) * size, size)
                boxes.append(pts.reshape(4))
                scores.append(s)
        if not boxes:
            return []
        boxes_a, scores_a = np.array(boxes), np.array(scores)
        return [boxes_a[i] for i in nms(boxes_a, scores_a)[:max_faces]]
