"""Face landmarks (MediaPipe Face Landmarker, Tasks API), tracks, and model-ready crops.

- `face_model_path()` finds `face_landmarker.task`: `$LDA_FACE_MODEL`, then the copy shipped in
  `assets/models/`, then a checksum-verified download into the user cache (never at import).
- `FaceDetector` wraps the landmarker (`with FaceDetector() as det:`): in VIDEO mode (strictly
  increasing time stamps) it tracks one face; in IMAGE mode it detects faces afresh on every
  `RESCAN_EVERY`-th frame, while more than one face is in view and when the tracked one is lost.
- `FaceTracker` gives faces an identity across frames: greedy matching on box overlap, falling
  back to centre distance (analysis points can be many frames apart), tolerating short misses.
- `crop_window` / `fit_window` / `crop_square`: a square window around the landmarks with a margin,
  moved or shrunk to stay inside the frame, then cut out (edge replication only for a window
  that still leaves the frame, e.g. one not fitted). Frame t and its next n frames
  are cut with the *same* window so that motion residuals show the face moving, not the crop.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import shutil
import tempfile
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from ..paths import ASSETS

FACE_MODEL_FILE = "face_landmarker.task"
FACE_MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
FACE_MODEL_URL = (
    "https://storage.googleapis.com/mediapipe-models/face_landmarker/face_landmarker/float16/1/face_landmarker.task"
)
NUM_LANDMARKS = 478
# Margin around the landmarks' bounding box, as a fraction of its longer side, added on every
# side. 0.3 keeps forehead, jaw line and some background: blending boundaries (where face-swap
# defects live) stay inside the crop.
DEFAULT_MARGIN = 0.3
# Faces whose landmark box is smaller than this many pixels (longer side) are ignored.
MIN_FACE_SIZE = 24
# A VIDEO-mode landmarker asked for up to max_faces runs face detection again on every frame while
# it tracks fewer than max_faces faces (so with one face in view, on every frame: ~22 ms per 720p
# frame); asked for one face, it only tracks it from its previous landmarks (~12 ms). So a
# single-face VIDEO landmarker tracks, and an IMAGE-mode one for up to max_faces detects afresh on
# every RESCAN_EVERY-th frame, on every frame while more than one face is in view, and whenever
# the tracked face is lost. The cost: a face that enters is found up to RESCAN_EVERY - 1 analysed
# frames later, and tracked landmarks sit a little off freshly detected ones (2.5 % of the face
# size on average on the benchmark's generated clip, inside the training crops' jitter of 4 %).
RESCAN_EVERY = 4


class FaceModelError(RuntimeError):
    pass


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def download_face_model(dest: Path, url: str = FACE_MODEL_URL, sha256: str = FACE_MODEL_SHA256) -> Path:
    """Download to a temporary file, verify the checksum, then move into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as resp:
            shutil.copyfileobj(resp, out)
        got = _sha256(Path(tmp))
        if got != sha256:
            raise FaceModelError(f"checksum mismatch for {url}: got {got}, expected {sha256}")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest


def face_model_path(download: bool = True) -> Path:
    """Where the landmarker model is: $LDA_FACE_MODEL, assets/, the cache, or a verified download."""
    env = os.environ.get("LDA_FACE_MODEL")
    if env:
        p = Path(env).expanduser()
        if not p.is_file():
            raise FaceModelError(f"LDA_FACE_MODEL points to a missing file: {p}")
        return p
    bundled = ASSETS / "models" / FACE_MODEL_FILE
    if bundled.is_file():
        return bundled
    cached = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "lda_model" / FACE_MODEL_FILE
    if cached.is_file() and _sha256(cached) == FACE_MODEL_SHA256:
        return cached
    if not download:
        raise FaceModelError(f"{FACE_MODEL_FILE} not found in {bundled.parent} or {cached.parent}")
    try:
        return download_face_model(cached)
    except OSError as err:
        raise FaceModelError(f"{FACE_MODEL_FILE} is not bundled and could not be downloaded: {err}") from err


@dataclass
class Face:
    landmarks: np.ndarray  # (478, 2) float32 pixel coordinates (x, y)

    @property
    def box(self) -> np.ndarray:
        """(x0, y0, x1, y1) of the landmarks."""
        return np.concatenate([self.landmarks.min(0), self.landmarks.max(0)]).astype(np.float32)

    @property
    def size(self) -> float:
        x0, y0, x1, y1 = self.box
        return float(max(x1 - x0, y1 - y0))


_QUIET_LOCK = threading.Lock()
_QUIET_DEPTH = 0
_QUIET_SAVED = -1


@contextlib.contextmanager
def quiet_native_stderr():
    """Silence what native code writes to file descriptor 2 inside the block.

    MediaPipe's C++ graph logs start-up notes ("Logging before InitGoogle()", XNNPACK, feedback
    tensors) on every landmarker it creates and on its first inference, whatever the Python
    logging settings; they mean nothing to a user. Only those moments are wrapped. Blocks may overlap
    (threads): only the outermost one swaps the descriptor and puts it back."""
    global _QUIET_DEPTH, _QUIET_SAVED
    with _QUIET_LOCK:
        if _QUIET_DEPTH == 0:
            sys.stderr.flush()
            _QUIET_SAVED = os.dup(2)
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 2)
        _QUIET_DEPTH += 1
    try:
        yield
    finally:
        with _QUIET_LOCK:
            _QUIET_DEPTH -= 1
            if _QUIET_DEPTH == 0:
                os.dup2(_QUIET_SAVED, 2)
                os.close(_QUIET_SAVED)


def print_error(line: str) -> None:
    """One line to the user's stderr, even while another thread has native stderr silenced (batch mode
    finds the next clip's faces while the current clip's error is reported)."""
    with _QUIET_LOCK:
        if _QUIET_DEPTH > 0:
            os.write(_QUIET_SAVED, (line + "\n").encode())
        else:
            print(line, file=sys.stderr, flush=True)


class FaceDetector:
    """MediaPipe Face Landmarker: one in VIDEO mode tracks, one in IMAGE mode finds faces afresh
    (`RESCAN_EVERY`). Use as a context manager, one per clip.

    With `search` (the default), a frame on which the landmarkers find no face goes through the
    full-range search (`face_search.py`): the region where a face was found last is tried first,
    then the full-range detector over the frame and its tiles, and an IMAGE-mode landmarker runs
    on each region found. A frame where the landmarker succeeds pays nothing for this."""

    def __init__(self, max_faces: int = 4, min_confidence: float = 0.5, model_path: str | Path | None = None,
                 search: bool = True, rescan_every: int = RESCAN_EVERY):
        if max_faces < 1 or rescan_every < 1:
            raise ValueError(f"max_faces and rescan_every must be >= 1, got {max_faces} and {rescan_every}")
        self.max_faces = max_faces
        self.min_confidence = min_confidence
        self.model_path = Path(model_path) if model_path else face_model_path()
        self.search = search
        self.rescan_every = rescan_every  # 1: look for new faces on every frame
        self._landmarker = None  # VIDEO mode, one face: tracks it
        self._scanner = None  # IMAGE mode, up to max_faces: finds faces afresh (when max_faces > 1)
        self._image_landmarker = None  # for regions found by the search (created on first use)
        self._search = None
        self._follow: list = []  # face_search.Region of the faces the search found last
        self._last_ms = -1  # the VIDEO landmarker's last time stamp (-1: it has not run yet)
        self._calls = 0
        self._in_view = 0  # faces found on the last frame

    def _options(self, mode: str, num_faces: int = 1):
        from mediapipe.tasks.python import vision
        from mediapipe.tasks.python.core.base_options import BaseOptions

        return vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=getattr(vision.RunningMode, mode),
            num_faces=num_faces,
            min_face_detection_confidence=self.min_confidence,
            min_face_presence_confidence=self.min_confidence,
            min_tracking_confidence=self.min_confidence,
        )

    def __enter__(self) -> "FaceDetector":
        from mediapipe.tasks.python import vision

        with quiet_native_stderr():
            self._landmarker = vision.FaceLandmarker.create_from_options(self._options("VIDEO"))
            if self.max_faces > 1:
                self._scanner = vision.FaceLandmarker.create_from_options(self._options("IMAGE", self.max_faces))
        self._last_ms, self._calls, self._in_view, self._follow = -1, 0, 0, []
        return self

    def __exit__(self, *exc) -> None:
        for lm in (self._landmarker, self._scanner, self._image_landmarker):
            if lm is not None:
                lm.close()
        self._landmarker = self._scanner = self._image_landmarker = None

    def detect(self, rgb: np.ndarray, time_s: float) -> list[Face]:
        """Faces in one RGB uint8 frame; `time_s` must not go backwards within a clip."""
        import mediapipe as mp

        if self._landmarker is None:
            raise RuntimeError("use FaceDetector as a context manager")
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        ms = max(int(round(time_s * 1000)), self._last_ms + 1)  # strictly increasing
        first, self._last_ms = self._last_ms < 0, ms
        with quiet_native_stderr() if first else contextlib.nullcontext():  # both landmarkers' start-up notes
            faces = self._landmarks(self._landmarker.detect_for_video(image, ms), image)
            rescan = self._calls % self.rescan_every == 0 or len(faces) != 1 or self._in_view > 1
            if self._scanner is not None and rescan:
                faces = _distinct(faces + self._landmarks(self._scanner.detect(image), image))[: self.max_faces]
        self._calls += 1
        if not faces and self.search:
            faces = self._search_faces(rgb)
        self._in_view = len(faces)
        return faces

    @staticmethod
    def _landmarks(result, image) -> list[Face]:
        """A landmarker's result -> faces in frame pixels."""
        h, w = image.height, image.width
        return _distinct([Face(np.array([(p.x * w, p.y * h) for p in lms], dtype=np.float32))
                          for lms in result.face_landmarks])

    def _search_faces(self, rgb: np.ndarray) -> list[Face]:
        """The fallback: the last regions first, then a full-range search of the whole frame."""
        from .face_search import Region

        faces = _distinct([f for r in self._follow if (f := self._landmarks_in(rgb, r)) is not None])
        if not faces:
            if self._search is None:
                from .face_search import FaceSearch

                with quiet_native_stderr():  # LiteRT announces its XNNPACK delegate
                    self._search = FaceSearch()
            regions = [Region.around(b) for b in self._search.find(rgb, self.max_faces)]
            faces = _distinct([f for r in regions if (f := self._landmarks_in(rgb, r)) is not None])
        self._follow = [Region.around(f.box) for f in faces]
        return faces

    def _landmarks_in(self, rgb: np.ndarray, region) -> "Face | None":
        """The landmarker (IMAGE mode) on one region, upscaled; landmarks in frame pixels."""
        import mediapipe as mp
        from mediapipe.tasks.python import vision

        from .face_search import DARK_LUMA, REGION_SIZE, equalise

        cut = region.cut(rgb, REGION_SIZE)
        if float(cut.mean()) < DARK_LUMA:  # detection only: the model's crops come from `rgb`
            cut = equalise(cut)
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=cut)
        if self._image_landmarker is None:
            with quiet_native_stderr():
                self._image_landmarker = vision.FaceLandmarker.create_from_options(self._options("IMAGE", 1))
                result = self._image_landmarker.detect(image)
        else:
            result = self._image_landmarker.detect(image)
        if not result.face_landmarks:
            return None
        pts = np.array([(p.x * REGION_SIZE, p.y * REGION_SIZE) for p in result.face_landmarks[0]], dtype=np.float32)
        return Face(region.to_frame(pts, REGION_SIZE))


def _distinct(faces: list[Face]) -> list[Face]:
    """Faces of at least MIN_FACE_SIZE, one per place: the tracked face comes again in a rescan's
    result, and two search regions can hold the same face. The first copy is kept."""
    out: list[Face] = []
    for face in faces:
        if face.size >= MIN_FACE_SIZE and all(box_iou(face.box, f.box) < 0.4 for f in out):
            out.append(face)
    return out


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def match_score(a: np.ndarray, b: np.ndarray) -> float:
    """Similarity of two boxes in [0, 1]: IoU, or (if they do not overlap) closeness of centres
    relative to the face size, so a face that moved between distant analysis points still matches."""
    iou = box_iou(a, b)
    if iou > 0:
        return 0.5 + 0.5 * iou
    size = max(a[2] - a[0], a[3] - a[1], b[2] - b[0], b[3] - b[1], 1.0)
    dist = float(np.hypot(*((a[:2] + a[2:]) / 2 - (b[:2] + b[2:]) / 2))) / size
    return max(0.0, 0.5 - 0.5 * dist)  # 0 once centres are a face apart


@dataclass
class _Track:
    track_id: int
    box: np.ndarray
    missed: int = 0


class FaceTracker:
    """Assigns a persistent track id to each face, frame after frame.

    A face joins the live track it matches best (score >= `min_score`, greedy, best pairs
    first); a track survives up to `max_missed` consecutive frames without a match; faces
    matching no track open new ones.
    """

    def __init__(self, min_score: float = 0.25, max_missed: int = 3) -> None:
        self.min_score = min_score
        self.max_missed = max_missed
        self._tracks: list[_Track] = []
        self._next_id = 0

    def update(self, faces: list[Face]) -> list[int]:
        """Track ids for `faces`, in their order."""
        live = [t for t in self._tracks if t.missed <= self.max_missed]
        pairs = sorted(
            ((match_score(t.box, f.box), ti, fi) for ti, t in enumerate(live) for fi, f in enumerate(faces)),
            reverse=True,
        )
        ids: list[int | None] = [None] * len(faces)
        used_tracks: set[int] = set()
        for score, ti, fi in pairs:
            if score < self.min_score:
                break
            if ti in used_tracks or ids[fi] is not None:
                continue
            used_tracks.add(ti)
            ids[fi] = live[ti].track_id
            live[ti].box, live[ti].missed = faces[fi].box, 0
        for ti, t in enumerate(live):
            if ti not in used_tracks:
                t.missed += 1
        for fi, f in enumerate(faces):
            if ids[fi] is None:
                track = _Track(self._next_id, f.box)
                self._next_id += 1
                self._tracks.append(track)
                ids[fi] = track.track_id
        return [int(i) for i in ids]  # type: ignore[arg-type]


def crop_window(landmarks: np.ndarray, margin: float = DEFAULT_MARGIN) -> np.ndarray:
    """Square (cx, cy, side) around the landmarks, `margin` x the longer side added on each side."""
    lo, hi = landmarks.min(0), landmarks.max(0)
    centre = (lo + hi) / 2
    side = float(max(hi - lo)) * (1 + 2 * margin)
    return np.array([centre[0], centre[1], max(side, 1.0)], dtype=np.float32)


def fit_window(window: np.ndarray, width: int, height: int) -> np.ndarray:
    """`window` (cx, cy, side) moved, and shrunk if it must be, to lie inside a width x height frame.

    A face that fills the frame (a dataset's face crop) keeps as much margin as the frame has,
    instead of a border of smeared edge pixels that the model would read as content."""
    side = min(float(window[2]), float(width), float(height))
    cx = float(np.clip(window[0], side / 2, width - side / 2))
    cy = float(np.clip(window[1], side / 2, height - side / 2))
    return np.array([cx, cy, max(side, 1.0)], dtype=np.float32)


def window_box(window: np.ndarray) -> tuple[int, int, int]:
    """Integer (x0, y0, side) of a (cx, cy, side) window: the pixels a crop really covers."""
    side = max(1, int(round(float(window[2]))))
    return int(round(float(window[0]) - side / 2)), int(round(float(window[1]) - side / 2)), side


def window_matrix(window: np.ndarray, size: int) -> np.ndarray:
    """2x3 affine matrix taking frame pixels into a size x size crop of `window`."""
    x0, y0, side = window_box(window)
    s = size / side
    return np.array([[s, 0, -s * x0], [0, s, -s * y0]], dtype=np.float32)


def crop_square(frame: np.ndarray, window: np.ndarray, size: int) -> np.ndarray:
    """Cut `window` out of `frame` as a size x size image (edge-replicated outside the frame).

    Slice, pad only if the window leaves the frame, then one resize (area interpolation when
    shrinking, so large faces are not aliased)."""
    h, w = frame.shape[:2]
    x0, y0, side = window_box(window)
    x1, y1 = x0 + side, y0 + side
    patch = frame[max(y0, 0):min(y1, h), max(x0, 0):min(x1, w)]
    if patch.size == 0:  # window entirely outside the frame: nothing to show
        return np.zeros((size, size) + frame.shape[2:], dtype=frame.dtype)
    pads = (max(0, -y0), max(0, y1 - h), max(0, -x0), max(0, x1 - w))
    if any(pads):
        patch = cv2.copyMakeBorder(patch, *pads, borderType=cv2.BORDER_REPLICATE)
    interp = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(patch, (size, size), interpolation=interp)


def to_crop_coords(points: np.ndarray, window: np.ndarray, size: int) -> np.ndarray:
    """Map (N, 2) frame pixel coordinates into the crop's pixel coordinates."""
    m = window_matrix(window, size)
    return points @ m[:, :2].T + m[:, 2]
