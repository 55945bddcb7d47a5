"""Pack a prepared face cache small enough to send to a rented GPU, and unpack it there.

    python -m tools.cache_pack pack cache/real_faces packed/real_faces --quality 85
    python -m tools.cache_pack unpack packed/real_faces /tmp/real_faces --workers 16

`prepare` writes every crop raw (`crops (K, L, S, S, 3) uint8`): the 262-item cache of
`../shared/data/real_faces` is 829 MB. Packed, each crop is a JPEG (`--quality`, default 85)
and the landmarks stay exact (zlib on their frame-to-frame deltas): 57 MB at 85. `unpack` writes
the cache layout `prepare` writes (`index.json`, `items/<name>.npz`), so `train` and
`evaluate` read it unchanged.

The round trip is lossy for pixels only: a run trained on an unpacked cache saw JPEG-recompressed
crops, and its model card must say so (training already re-encodes 70 % of its clips as JPEG at
quality 60-95, `data.augment_clip`). Packed item layout (`items/<name>.npz`, no pickles):
`jpeg (B,) uint8` all JPEG files back to back, `offsets (K*L+1,) int64` where each starts,
`shape (5,) int64` = (K, L, S, S, 3), `landmark_deltas (K, L, 478, 2) uint16` (the cache's
float16 landmarks, frame-to-frame differences of their bits: lossless), zlib-compressed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np


def encode_crops(crops: np.ndarray, quality: int = 85) -> dict[str, np.ndarray]:
    """crops (K, L, S, S, 3) uint8 RGB -> {"jpeg", "offsets", "shape"} (see module doc)."""
    if crops.dtype != np.uint8 or crops.ndim != 5 or crops.shape[-1] != 3:
        raise ValueError(f"crops must be (K, L, S, S, 3) uint8, got {crops.shape} {crops.dtype}")
    files = []
    for frame in crops.reshape(-1, *crops.shape[2:]):  # (K*L, S, S, 3)
        ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(frame[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
        if not ok:
            raise ValueError("JPEG encoding failed")
        files.append(buf.reshape(-1))
    offsets = np.cumsum([0] + [len(f) for f in files]).astype(np.int64)  # (K*L+1,)
    return {"jpeg": np.concatenate(files), "offsets": offsets, "shape": np.array(crops.shape, dtype=np.int64)}


def decode_crops(jpeg: np.ndarray, offsets: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """The inverse of `encode_crops`: (K, L, S, S, 3) uint8 RGB."""
    k, length, s, s2, c = (int(v) for v in shape)
    if len(offsets) != k * length + 1:
        raise ValueError(f"{len(offsets) - 1} JPEGs for a {k}x{length} item")
    out = np.empty((k * length, s, s2, c), dtype=np.uint8)  # (K*L, S, S, 3)
    for i in range(k * length):
        frame = cv2.imdecode(jpeg[offsets[i]:offsets[i + 1]], cv2.IMREAD_COLOR)
        if frame is None or frame.shape != (s, s2, c):
            raise ValueError(f"JPEG {i} is damaged")
        out[i] = frame[..., ::-1]
    return out.reshape(k, length, s, s2, c)


def encode_landmarks(landmarks: np.ndarray) -> np.ndarray:
    """(K, L, 478, 2) float16 -> the same shape uint16: each frame's bit patterns minus the previous
    frame's (mod 2**16). Lossless; landmarks move little between frames, so zlib then halves them."""
    bits = np.ascontiguousarray(landmarks, dtype=np.float16).view(np.uint16)
    return np.diff(bits, axis=1, prepend=np.zeros_like(bits[:, :1]))  # uint16 arithmetic wraps


def decode_landmarks(delta: np.ndarray) -> np.ndarray:
    """The inverse of `encode_landmarks`."""
    return np.cumsum(delta, axis=1, dtype=np.uint16).view(np.float16)


def _pack_item(src: Path, dst: Path, quality: int) -> int:
    with np.load(src) as z:
        packed = encode_crops(z["crops"], quality)
        np.savez_compressed(dst, landmark_deltas=encode_landmarks(z["landmarks"]), **packed)
    return dst.stat().st_size


def _unpack_item(src: Path, dst: Path) -> int:
    with np.load(src) as z:
        crops = decode_crops(z["jpeg"], z["offsets"], z["shape"])
        np.savez(dst, crops=crops, landmarks=decode_landmarks(z["landmark_deltas"]))
    return dst.stat().st_size


def convert(src: Path, dst: Path, unpack: bool, quality: int = 85, workers: int = 1) -> tuple[int, int]:
    """Every item of the cache `src` packed (or unpacked) into `dst`; returns (items, bytes written)."""
    index = json.loads((src / "index.json").read_text())
    (dst / "items").mkdir(parents=True, exist_ok=True)
    jobs = [(src / "items" / f"{name}.npz", dst / "items" / f"{name}.npz") for name in sorted(index)]
    missing = [str(a) for a, _ in jobs if not a.exists()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} items of {src / 'index.json'} are missing, e.g. {missing[0]}")
    with ProcessPoolExecutor(max(1, workers)) as pool:
        if unpack:
            sizes = list(pool.map(_unpack_item, *zip(*jobs)))
        else:
            sizes = list(pool.map(_pack_item, *zip(*jobs), [quality] * len(jobs)))
    shutil.copyfile(src / "index.json", dst / "index.json")  # last: a folder with an index is complete
    return len(jobs), sum(sizes)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.cache_pack", description=__doc__.split("\n\n")[0])
    p.add_argument("action", choices=["pack", "unpack"])
    p.add_argument("src", type=Path, help="a cache folder (pack) or a packed folder (unpack)")
    p.add_argument("dst", type=Path)
    p.add_argument("--quality", type=int, default=85, help="JPEG quality when packing (default 85)")
    p.add_argument("--workers", type=int, default=1)
    args = p.parse_args(argv)
    if not (args.src / "index.json").exists():
        print(f"error: {args.src} has no index.json (not a cache folder)", file=sys.stderr)
        return 2
    if args.src.resolve() == args.dst.resolve():
        print("error: src and dst must differ", file=sys.stderr)
        return 2
    n, size = convert(args.src, args.dst, args.action == "unpack", args.quality, args.workers)
    print(json.dumps({"action": args.action, "items": n, "megabytes": round(size / 1e6, 1), "out": str(args.dst)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
