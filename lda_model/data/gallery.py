"""A PNG grid of synthesized forgeries for inspection: real | fake | blend mask, one row each.

    python -m lda_model.data.gallery --data cache/real_faces --split train --out gallery.png [--rows 8] [--seed 0]
    python -m lda_model.data.gallery --out gallery.png          # no cache: the shipped real demo clip
    python -m lda_model.data.gallery --data cache/real_faces --split test --weights default --out gallery.png

Each row shows frame 0 of a real segment, the same frame forged by `forgery.forge_clip` (kind and
temporal mode drawn as in training, or fixed with --kind / --temporal), the blend mask (white =
fully replaced) and the last frame's mask beside it (they differ when the forgery jitters or
drifts). The caption names the kind and mode (and, with --weights, the
checkpoint's fake probability for the real and the forged clip). `gallery_grid` is a pure function
of the rows; reading the cache and writing the PNG happen in `main`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from ..inference.faces import FaceModelError
from .forgery import TEMPORAL_MODES, forge_clip, wants_swap
from ..model.config import MAX_CLIP_LENGTH
from ..paths import EXAMPLES_DIR

CAPTION_HEIGHT = 18
REAL_EXAMPLE = EXAMPLES_DIR / "real_astronaut.webm"
COLUMNS = ("real", "fake", "mask, first frame", "mask, last frame")


def mask_to_rgb(mask: np.ndarray) -> np.ndarray:
    """(H, W) float in [0, 1] -> (H, W, 3) uint8 grey."""
    g = np.clip(mask * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=2)


def gallery_grid(rows: list[dict], tile: int = 128) -> np.ndarray:
    """rows: [{"real": (H, W, 3) uint8, "fake": (H, W, 3) uint8, "masks": (L, H, W) float, "caption": str}]
    -> (CAPTION_HEIGHT + len(rows) * (tile + CAPTION_HEIGHT), 4 * tile, 3) uint8 RGB: a header, then per row
    real | fake | first frame's mask | last frame's mask."""
    if not rows:
        raise ValueError("a gallery needs at least one row")
    out = np.full((CAPTION_HEIGHT + len(rows) * (tile + CAPTION_HEIGHT), 4 * tile, 3), 255, dtype=np.uint8)
    for c, title in enumerate(COLUMNS):
        cv2.putText(out, title, (c * tile + 4, CAPTION_HEIGHT - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (90, 90, 90), 1,
                    cv2.LINE_AA)
    for r, row in enumerate(rows):
        y = CAPTION_HEIGHT + r * (tile + CAPTION_HEIGHT)
        cells = [row["real"], row["fake"], mask_to_rgb(row["masks"][0]), mask_to_rgb(row["masks"][-1])]
        for c, img in enumerate(cells):
            out[y + CAPTION_HEIGHT:y + CAPTION_HEIGHT + tile, c * tile:(c + 1) * tile] = cv2.resize(
                img, (tile, tile), interpolation=cv2.INTER_AREA)
        cv2.putText(out, row["caption"], (4, y + CAPTION_HEIGHT - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1,
                    cv2.LINE_AA)
    return out


def forge_rows(segments: list[tuple[np.ndarray, np.ndarray, str]], count: int, rng: np.random.Generator,
               kind: str | None = None, temporal: str | None = None) -> list[dict]:
    """Forge `count` random segments [(frames (L, H, W, 3), landmarks (L, 478, 2), identity)] into gallery rows.

    A swap takes its donor from another identity; with only one identity, rows are self-blends."""
    rows = []
    for _ in range(count):
        frames, lms, identity = segments[int(rng.integers(len(segments)))]
        others = [s for s in segments if s[2] != identity]
        want_swap = kind == "swap" or (kind is None and wants_swap(rng))
        donor = None
        if want_swap and others:
            d_frames, d_lms, _ = others[int(rng.integers(len(others)))]
            donor = (d_frames, d_lms.astype(np.float32))
        row_kind = "self_blend" if kind == "swap" and donor is None else kind
        fakes, masks, desc = forge_clip(frames, lms.astype(np.float32), rng, kind=row_kind, temporal=temporal,
                                        donor=donor)
        rows.append({"real": frames[0], "fake": fakes[0], "masks": masks, "real_clip": frames, "fake_clip": fakes,
                     "kind": desc["kind"], "temporal": desc["temporal"],
                     "caption": f"{identity}: {desc['kind']}/{desc['temporal']}"})
    return rows


def score_rows(detector, rows: list[dict]) -> list[tuple[float, float]]:
    """The detector's fake probability for each row's real clip and fake clip (first n+1 frames)."""
    from ..inference.scoring import score_clips

    need = detector.config.clip_length
    if any(len(r["real_clip"]) < need for r in rows):
        raise ValueError(f"segments hold fewer than the {need} frames this checkpoint needs")
    clips = np.stack([c for r in rows for c in (r["real_clip"][:need], r["fake_clip"][:need])])  # (2R, n+1, S, S, 3)
    probs = score_clips(detector, clips)
    return [(float(probs[2 * i]), float(probs[2 * i + 1])) for i in range(len(rows))]


def cache_segments(data: str | Path, split: str) -> list[tuple[np.ndarray, np.ndarray, str]]:
    from .store import SegmentStore

    store = SegmentStore(data, split)
    return [(store.crops[s.item][s.index], store.landmarks[s.item][s.index], store.identities[s.item])
            for s in store.segments]


def clip_segments(path: str | Path, length: int = MAX_CLIP_LENGTH, count: int = 4, crop: int = 160,
                  identity: str | None = None) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """`count` segments of a clip, tracked and cut by `prepare.prepare_video` (as for the training cache)."""
    from ..inference.faces import DEFAULT_MARGIN
    from .prepare import prepare_video

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(path)
    res = prepare_video(path, count, length, crop, DEFAULT_MARGIN)
    if res is None:
        raise ValueError(f"no face found in {path}")
    crops, lms = res  # (K, L, S, S, 3), (K, L, 478, 2)
    return [(c, lm, identity or path.stem) for c, lm in zip(crops, lms)]


def bundled_segments(length: int = MAX_CLIP_LENGTH) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """Segments of the shipped *real* demo clip (the public-domain astronaut, gently moving, VP8-coded).

    The demo clip rather than `prepare`'s few-frame animation of the photo: the clip is what the
    app's Analyze tab shows as real, and that animation moves far more between frames (`default`
    scored its segments 0.31-0.76 for seeds 0-2, the clip's 0.15-0.23)."""
    return clip_segments(REAL_EXAMPLE, length, identity="astronaut")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m lda_model.data.gallery", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=None, help="a `prepare` cache (default: the shipped real demo clip)")
    p.add_argument("--split", default="train")
    p.add_argument("--out", required=True, help="PNG to write")
    p.add_argument("--rows", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--kind", choices=["self_blend", "swap"], default=None)
    p.add_argument("--temporal", choices=list(TEMPORAL_MODES), default=None)
    p.add_argument("--tile", type=int, default=128)
    p.add_argument("--weights", default=None, help="also caption each row with this checkpoint's p(fake), real -> fake")
    args = p.parse_args(argv)
    if args.rows < 1:
        p.error("--rows must be at least 1")
    try:
        segments = cache_segments(args.data, args.split) if args.data else bundled_segments()
    except (OSError, ValueError, FaceModelError) as e:  # the bundled clip is tracked with the face landmarker
        print(f"error: {e}", file=sys.stderr)
        return 1
    rows = forge_rows(segments, args.rows, np.random.default_rng(args.seed), args.kind, args.temporal)
    if args.weights:
        from ..inference.weights import load_detector

        try:
            detector, _ = load_detector(args.weights)  # loaded ready for inference
            scores = score_rows(detector, rows)
        except ValueError as e:  # WeightsError included
            print(f"error: {e}", file=sys.stderr)
            return 2
        for row, (p_real, p_fake) in zip(rows, scores):
            row["caption"] += f"  p(fake) {p_real:.2f} -> {p_fake:.2f}"
    grid = gallery_grid(rows, args.tile)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    written = cv2.imwrite(str(out), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    print(out if written else f"error: cannot write {out}", file=sys.stdout if written else sys.stderr)
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
