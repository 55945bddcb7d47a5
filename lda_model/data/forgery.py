"""Forgeries synthesized from real faces: the training signal when no deepfake data exists.

Pure functions on aligned frames + landmarks (the crops of `prepare`), in the spirit of
Self-Blended Images (Shiohara & Yamasaki 2022) and Face X-ray (Li et al. 2020):

- **self-blend** (spatial): the face is blended onto itself after a change a generator would
  leave — RGB/HSV shifts, down-then-up resampling (an upsampler's blur), sharpening — and a
  small warp, through a landmark-hull mask that is deformed, blurred and blended at a ratio;
- **swap** (spatial): another person's face warped onto the landmarks triangle by triangle,
  colour-matched (mean/std in LAB) inside the mask and blended;
- **temporal**: a clip is forged frame by frame with parameters that are either *consistent*
  (the same for every frame, the mask following the landmarks: no flicker), *jittered* (fresh
  noise per frame) or *drifting* (interpolated between two settings), so inter-frame
  inconsistency is a cue the temporal model can learn but cannot win on alone.

Every fake comes with its blend mask (float32 in [0, 1]): ground truth for localization.
Everything is driven by a `numpy.random.Generator`, so a seed reproduces a fake exactly.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from ..inference.landmarks import FACE_OVAL, INNER_FACE, LEFT_EYE, LIPS_OUTER, NOSE, RIGHT_EYE, polygon_mask

KINDS = ("self_blend", "swap")
TEMPORAL_MODES = ("consistent", "jitter", "drift")
_MASK_REGIONS = {"face": FACE_OVAL, "inner": INNER_FACE, "lower": LIPS_OUTER + NOSE + FACE_OVAL[10:27],
                 "mouth": LIPS_OUTER, "eyes": LEFT_EYE + RIGHT_EYE, "nose": NOSE}
# Parts of a face: small masks that are grown, never eroded (erosion would empty them).
PART_REGIONS = ("mouth", "eyes", "nose")
# Which landmark hull a forgery blends, and how often. "whole": whole-face and inner-face blends,
# what every evaluation forges (so synthetic numbers stay comparable across checkpoints). "parts":
# a third of the forgeries change only the mouth, the eyes or the nose, as expression-transfer
# fakes (FF++ Face2Face, NeuralTextures) do; one draw from the same generator either way.
REGION_MIXES = {
    "whole": (("face", "inner", "lower"), (0.5, 0.35, 0.15)),
    "parts": (("face", "inner", "lower", "mouth", "eyes", "nose"), (0.3, 0.25, 0.1, 0.17, 0.11, 0.07)),
}


@dataclass(frozen=True)
class ForgeryParams:
    kind: str = "self_blend"
    region: str = "face"  # which landmark hull the mask starts from
    rgb_shift: tuple[float, float, float] = (0.0, 0.0, 0.0)  # added to RGB, in [0, 255] units
    hue_shift: float = 0.0  # OpenCV hue units (0..180)
    sat_scale: float = 1.0
    val_scale: float = 1.0
    resample: float = 1.0  # < 1: downscale by this, then back up (generator upsampler blur)
    sharpen: float = 0.0  # unsharp-mask amount
    shift: tuple[float, float] = (0.0, 0.0)  # source warp, fraction of face size
    scale: float = 1.0  # source warp zoom
    mask_noise: float = 0.0  # hull vertex displacement, fraction of face size
    mask_grow: float = 0.0  # dilate (> 0) / erode (< 0), fraction of face size
    mask_blur: float = 0.05  # Gaussian sigma, fraction of face size
    blend: float = 1.0  # max blend ratio inside the mask
    noise_seed: int = 0  # seed of the hull deformation


def sample_params(rng: np.random.Generator, kind: str | None = None, regions: str = "whole") -> ForgeryParams:
    kind = kind or str(rng.choice(KINDS))
    names, weights = REGION_MIXES[regions]
    region = str(rng.choice(list(names), p=list(weights)))
    grow = float(rng.uniform(-0.06, 0.04))
    part = region in PART_REGIONS  # a small hull: less deformed and blurred, grown, never eroded
    return ForgeryParams(
        kind=kind,
        region=region,
        rgb_shift=tuple(rng.uniform(-20, 20, 3).round(2)) if rng.random() < 0.6 else (0.0, 0.0, 0.0),
        hue_shift=float(rng.uniform(-6, 6)) if rng.random() < 0.4 else 0.0,
        sat_scale=float(rng.uniform(0.8, 1.25)) if rng.random() < 0.5 else 1.0,
        val_scale=float(rng.uniform(0.85, 1.15)) if rng.random() < 0.5 else 1.0,
        resample=float(rng.uniform(0.3, 0.8)) if rng.random() < 0.6 else 1.0,
        sharpen=float(rng.uniform(0.3, 1.5)) if rng.random() < 0.3 else 0.0,
        shift=tuple(rng.uniform(-0.03, 0.03, 2).round(4)) if kind == "self_blend" else (0.0, 0.0),
        scale=float(rng.uniform(0.95, 1.05)) if kind == "self_blend" else 1.0,
        mask_noise=float(rng.uniform(0.0, 0.06)) * (0.3 if part else 1.0),
        mask_grow=abs(grow) + 0.01 if part else grow,
        mask_blur=float(rng.uniform(0.01, 0.08)) * (0.35 if part else 1.0),
        blend=float(rng.choice([1.0, rng.uniform(0.4, 1.0)])),
        noise_seed=int(rng.integers(1 << 30)),
    )


def jitter_params(p: ForgeryParams, rng: np.random.Generator, amount: float = 1.0) -> ForgeryParams:
    """A per-frame perturbation of `p` (temporal inconsistency)."""
    a = amount
    return dataclasses.replace(
        p,
        rgb_shift=tuple(float(v) for v in np.asarray(p.rgb_shift) + rng.normal(0, 4 * a, 3)),
        hue_shift=p.hue_shift + float(rng.normal(0, 1.0 * a)),
        val_scale=p.val_scale * float(1 + rng.normal(0, 0.03 * a)),
        shift=tuple(float(v) for v in np.asarray(p.shift) + rng.normal(0, 0.008 * a, 2)),
        scale=p.scale * float(1 + rng.normal(0, 0.01 * a)),
        mask_blur=max(0.005, p.mask_blur * float(np.exp(rng.normal(0, 0.3 * a)))),
        blend=float(np.clip(p.blend + rng.normal(0, 0.1 * a), 0.2, 1.0)),
        noise_seed=int(rng.integers(1 << 30)),
    )


def interpolate_params(p0: ForgeryParams, p1: ForgeryParams, w: float) -> ForgeryParams:
    """Blend the numeric fields of two settings (kind, region and noise seed come from p0)."""
    def mix(a, b):
        if isinstance(a, tuple):
            return tuple(float((1 - w) * x + w * y) for x, y in zip(a, b))
        return float((1 - w) * a + w * b)

    numeric = ["rgb_shift", "hue_shift", "sat_scale", "val_scale", "resample", "sharpen", "shift", "scale",
               "mask_grow", "mask_blur", "blend"]
    return dataclasses.replace(p0, **{k: mix(getattr(p0, k), getattr(p1, k)) for k in numeric})


# --- pieces ----------------------------------------------------------------------------
def face_size(landmarks: np.ndarray) -> float:
    pts = landmarks[FACE_OVAL]
    return float(max(pts.max(0) - pts.min(0)))


def blend_mask(landmarks: np.ndarray, shape: tuple[int, int], p: ForgeryParams) -> np.ndarray:
    """Deformed, grown/eroded, blurred landmark hull scaled by the blend ratio: float32 (h, w) in [0, 1]."""
    size = face_size(landmarks)
    pts = landmarks[_MASK_REGIONS[p.region]].astype(np.float32)
    if p.mask_noise > 0:
        noise = np.random.default_rng(p.noise_seed).normal(0, p.mask_noise * size, pts.shape)
        pts = pts + noise.astype(np.float32)
    mask = polygon_mask(pts, shape)
    k = int(round(abs(p.mask_grow) * size))
    if k > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))
        mask = (cv2.dilate if p.mask_grow > 0 else cv2.erode)(mask, kernel)
    sigma = max(p.mask_blur * size, 0.5)
    mask = cv2.GaussianBlur(mask, (0, 0), sigma)
    peak = mask.max()
    if peak > 0:
        mask = mask / peak
    return (mask * p.blend).astype(np.float32)


def colour_transform(img: np.ndarray, p: ForgeryParams) -> np.ndarray:
    """RGB/HSV shifts, resampling and sharpening of a uint8 RGB image -> float32 [0, 255]."""
    out = img.astype(np.float32)
    if p.hue_shift or p.sat_scale != 1 or p.val_scale != 1:
        hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV).astype(np.float32)
        hsv[..., 0] = (hsv[..., 0] + p.hue_shift) % 180
        hsv[..., 1] = np.clip(hsv[..., 1] * p.sat_scale, 0, 255)
        hsv[..., 2] = np.clip(hsv[..., 2] * p.val_scale, 0, 255)
        out = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB).astype(np.float32)
    out += np.asarray(p.rgb_shift, dtype=np.float32)
    if p.resample < 0.999:
        h, w = out.shape[:2]
        small = cv2.resize(out, (max(2, int(w * p.resample)), max(2, int(h * p.resample))), interpolation=cv2.INTER_AREA)
        out = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if p.sharpen > 0:
        blur = cv2.GaussianBlur(out, (0, 0), 1.0)
        out = out + p.sharpen * (out - blur)
    return np.clip(out, 0, 255)


def similarity_warp(img: np.ndarray, landmarks: np.ndarray, p: ForgeryParams) -> np.ndarray:
    if p.shift == (0.0, 0.0) and p.scale == 1.0:
        return img
    size = face_size(landmarks)
    cx, cy = landmarks[FACE_OVAL].mean(0)
    m = cv2.getRotationMatrix2D((float(cx), float(cy)), 0.0, p.scale)
    m[:, 2] += (p.shift[0] * size, p.shift[1] * size)
    return cv2.warpAffine(img, m, (img.shape[1], img.shape[0]), borderMode=cv2.BORDER_REFLECT)


def triangulation(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Delaunay triangles (T, 3) as indices into `points`."""
    h, w = shape
    rect = (0, 0, w, h)
    sub = cv2.Subdiv2D(rect)
    pts = np.clip(points, 0, [w - 1, h - 1]).astype(np.float32)
    lookup = {}
    for i, (x, y) in enumerate(pts):
        key = (round(float(x), 2), round(float(y), 2))
        if key in lookup:
            continue
        lookup[key] = i
        sub.insert((float(x), float(y)))
    tris = []
    for t in sub.getTriangleList():
        idx = [lookup.get((round(float(t[2 * k]), 2), round(float(t[2 * k + 1]), 2))) for k in range(3)]
        if None not in idx:
            tris.append(idx)
    return np.array(tris, dtype=np.int32).reshape(-1, 3)


# A sparse subset of the mesh keeps triangulated warps fast (about 150 triangles).
_WARP_POINTS = np.array(sorted(set(FACE_OVAL + LIPS_OUTER + NOSE + INNER_FACE + [33, 133, 263, 362, 159, 145,
                                                                            386, 374, 70, 300, 105, 334])))


def piecewise_warp(src: np.ndarray, src_pts: np.ndarray, dst_pts: np.ndarray, tris: np.ndarray,
                   shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Warp `src` so that src_pts land on dst_pts, triangle by triangle.

    Returns the warped image (float32) and its coverage (float32 {0, 1}: pixels some triangle reached)."""
    h, w = shape
    out = np.zeros((h, w, src.shape[2]), dtype=np.float32)
    cover = np.zeros((h, w), dtype=np.float32)
    srcf = src.astype(np.float32)
    for tri in tris:
        s, d = src_pts[tri].astype(np.float32), dst_pts[tri].astype(np.float32)
        x, y, bw, bh = cv2.boundingRect(d)
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + bw, w), min(y + bh, h)
        if x1 <= x0 or y1 <= y0:
            continue
        m = cv2.getAffineTransform(s, d - np.array([x0, y0], dtype=np.float32))
        patch = cv2.warpAffine(srcf, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        tmask = np.zeros((y1 - y0, x1 - x0), dtype=np.float32)
        cv2.fillConvexPoly(tmask, np.round(d - [x0, y0]).astype(np.int32), 1.0)
        region = out[y0:y1, x0:x1]
        region[:] = region * (1 - tmask[..., None]) + patch * tmask[..., None]
        np.maximum(cover[y0:y1, x0:x1], tmask, out=cover[y0:y1, x0:x1])
    return out, cover


def match_colours(src: np.ndarray, ref: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Match src's LAB mean/std to ref's inside mask (float32 RGB [0, 255] in and out)."""
    m = mask > 0.5
    if m.sum() < 16:
        return src
    s = cv2.cvtColor(np.clip(src, 0, 255).astype(np.uint8), cv2.COLOR_RGB2LAB).astype(np.float32)
    r = cv2.cvtColor(ref, cv2.COLOR_RGB2LAB).astype(np.float32)
    sm, ss = s[m].mean(0), s[m].std(0) + 1e-3
    rm, rs = r[m].mean(0), r[m].std(0) + 1e-3
    s = (s - sm) / ss * rs + rm
    return cv2.cvtColor(np.clip(s, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB).astype(np.float32)


def match_blend(fakes: np.ndarray, frames: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Fakes (L, H, W, 3) uint8 whose blended region has the original's LAB mean and spread there, frame by frame
    (`match_colours` inside each mask, then blended back through it), as well colour-matched as Celeb-DF's
    swaps: a colour shift is then no cue, only texture, resolution and the seam are."""
    out = np.empty_like(fakes)
    for k, (fake, frame, mask) in enumerate(zip(fakes, frames, masks)):
        matched = match_colours(fake.astype(np.float32), frame, mask)
        blend = matched * mask[..., None] + frame.astype(np.float32) * (1 - mask[..., None])
        out[k] = np.clip(blend + 0.5, 0, 255).astype(np.uint8)
    return out


# --- whole forgeries --------------------------------------------------------------------
def self_blend(frame: np.ndarray, landmarks: np.ndarray, p: ForgeryParams) -> tuple[np.ndarray, np.ndarray]:
    """One self-blended frame: (fake uint8 RGB, mask float32)."""
    source = similarity_warp(colour_transform(frame, p), landmarks, p)
    mask = blend_mask(landmarks, frame.shape[:2], p)
    fake = source * mask[..., None] + frame.astype(np.float32) * (1 - mask[..., None])
    return np.clip(fake + 0.5, 0, 255).astype(np.uint8), mask


def face_swap(frame: np.ndarray, landmarks: np.ndarray, donor: np.ndarray, donor_landmarks: np.ndarray,
              p: ForgeryParams, tris: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`donor`'s face warped onto `frame`'s landmarks, colour-matched and blended."""
    shape = frame.shape[:2]
    dst = landmarks[_WARP_POINTS]
    if tris is None:
        tris = triangulation(dst, shape)
    warped, cover = piecewise_warp(donor, donor_landmarks[_WARP_POINTS], dst, tris, shape)
    # blend only where the donor face really is (erode the coverage so blur stays inside it)
    cover = cv2.erode(cover, np.ones((5, 5), np.uint8))
    mask = blend_mask(landmarks, shape, p) * cover
    warped = match_colours(warped, frame, mask)
    warped = colour_transform(np.clip(warped, 0, 255).astype(np.uint8), dataclasses.replace(p, hue_shift=0.0))
    fake = warped * mask[..., None] + frame.astype(np.float32) * (1 - mask[..., None])
    return np.clip(fake + 0.5, 0, 255).astype(np.uint8), mask


# Share of synthesized fakes that try a face swap rather than a self-blend: the minority, since a swap
# needs a donor of another identity and its recolouring alone is an easy cue; every place that draws a
# donor (training, evaluation, the gallery) asks `wants_swap`, so the mix is the same everywhere.
SWAP_SHARE = 0.4


def wants_swap(rng: np.random.Generator) -> bool:
    """One draw of the swap-or-self-blend choice (probability `SWAP_SHARE`)."""
    return bool(rng.random() < SWAP_SHARE)


def forge_clip(
    frames: np.ndarray,
    landmarks: np.ndarray,
    rng: np.random.Generator,
    kind: str | None = None,
    temporal: str | None = None,
    donor: tuple[np.ndarray, np.ndarray] | None = None,
    jitter: float = 1.0,
    regions: str = "whole",
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Forge every frame of a clip (L, H, W, 3) with landmarks (L, 478, 2).

    `donor` = (frames (L', H, W, 3), landmarks (L', 478, 2)) of another identity, needed for
    "swap" (frame k takes donor frame k mod L'). Returns fakes (L, H, W, 3) uint8, masks
    (L, H, W) float32 and a description dict (kind, temporal mode, params of frame 0).
    """
    if kind is None:
        kind = "swap" if donor is not None and wants_swap(rng) else "self_blend"
    if kind == "swap" and donor is None:
        raise ValueError("a swap needs a donor clip")
    temporal = temporal or str(rng.choice(TEMPORAL_MODES, p=[0.5, 0.3, 0.2]))
    base = sample_params(rng, kind, regions)
    end = sample_params(rng, kind, regions) if temporal == "drift" else base
    fakes, masks = [], []
    tris = triangulation(landmarks[0][_WARP_POINTS], frames.shape[1:3]) if kind == "swap" else None
    n = len(frames)
    for k in range(n):
        if temporal == "jitter":
            p = jitter_params(base, rng, jitter)
        elif temporal == "drift":
            p = interpolate_params(base, end, k / max(n - 1, 1))
        else:
            p = base
        lm = landmarks[k].astype(np.float32)
        if kind == "swap":
            d_frames, d_lms = donor
            fake, mask = face_swap(frames[k], lm, d_frames[k % len(d_frames)], d_lms[k % len(d_lms)].astype(np.float32), p, tris)
        else:
            fake, mask = self_blend(frames[k], lm, p)
        fakes.append(fake)
        masks.append(mask)
    return np.stack(fakes), np.stack(masks), {"kind": kind, "temporal": temporal, "params": dataclasses.asdict(base)}
