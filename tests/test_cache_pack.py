"""cache_pack: a prepared cache packed as JPEG + delta-coded landmarks, and unpacked back."""

import json

import numpy as np
import pytest

from tools.cache_pack import convert, decode_crops, decode_landmarks, encode_crops, encode_landmarks, main
from lda_model.data.store import SegmentStore


def smooth_crops(k=2, length=3, s=32, seed=0):
    """(K, L, S, S, 3) uint8 with image-like (smooth) content, which JPEG keeps close."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:s, :s] / s
    base = np.stack([128 + 90 * np.sin(6 * xx + c) * np.cos(4 * yy) for c in range(3)], -1)  # (S, S, 3)
    frames = base[None, None] + rng.normal(0, 2, (k, length, 1, 1, 3))
    return np.clip(frames, 0, 255).astype(np.uint8)


def test_crops_round_trip_close_and_in_order():
    crops = smooth_crops()
    crops[1, 2] = 255 - crops[1, 2]  # one frame differs: order must be kept
    packed = encode_crops(crops, quality=90)
    assert packed["offsets"][-1] == len(packed["jpeg"]) and len(packed["offsets"]) == 2 * 3 + 1
    assert packed["jpeg"].nbytes < crops.nbytes
    back = decode_crops(**packed)
    assert back.shape == crops.shape and back.dtype == np.uint8
    err = np.abs(back.astype(float) - crops).mean(axis=(2, 3, 4))  # (K, L)
    assert err.max() < 3
    assert np.abs(back[1, 2].astype(float) - crops[1, 1]).mean() > 30  # the inverted frame came back where it was


def test_crops_errors():
    with pytest.raises(ValueError, match="uint8"):
        encode_crops(np.zeros((2, 3, 8, 8, 3), dtype=np.float32))
    packed = encode_crops(smooth_crops(1, 2))
    with pytest.raises(ValueError, match="2 JPEGs for a 1x3 item"):
        decode_crops(packed["jpeg"], packed["offsets"], np.array([1, 3, 32, 32, 3]))
    broken = packed["jpeg"].copy()
    broken[: packed["offsets"][1]] = 0  # the first file's bytes wiped
    with pytest.raises(ValueError, match="JPEG 0 is damaged"):
        decode_crops(broken, packed["offsets"], packed["shape"])


def test_landmarks_lossless():
    rng = np.random.default_rng(1)
    lms = (rng.uniform(-5, 300, (3, 6, 478, 2))).astype(np.float16)
    lms[0, 2, 0] = [np.inf, -0.0]  # any bit pattern survives
    coded = encode_landmarks(lms)
    assert coded.dtype == np.uint16 and coded.shape == lms.shape
    back = decode_landmarks(coded)
    assert back.dtype == np.float16 and np.array_equal(back.view(np.uint16), lms.view(np.uint16))


def test_pack_unpack_cache(tiny_cache, tmp_path):
    packed, unpacked = tmp_path / "packed", tmp_path / "unpacked"
    assert convert(tiny_cache, packed, unpack=False, quality=90)[0] == 5
    raw = sum(p.stat().st_size for p in (tiny_cache / "items").iterdir())
    assert sum(p.stat().st_size for p in (packed / "items").iterdir()) < raw / 4
    assert main(["unpack", str(packed), str(unpacked)]) == 0
    assert json.loads((unpacked / "index.json").read_text()) == json.loads((tiny_cache / "index.json").read_text())
    a, b = SegmentStore(tiny_cache, "train"), SegmentStore(unpacked, "train")
    assert a.names == b.names and len(a) == len(b)
    for ca, cb, la, lb in zip(a.crops, b.crops, a.landmarks, b.landmarks):
        assert ca.shape == cb.shape and np.abs(ca.astype(float) - cb).mean() < 4
        assert np.array_equal(la, lb)


def test_cli_errors(tiny_cache, tmp_path, capsys):
    assert main(["pack", str(tmp_path), str(tmp_path / "out")]) == 2
    assert "no index.json" in capsys.readouterr().err
    assert main(["pack", str(tiny_cache), str(tiny_cache)]) == 2
    broken = tmp_path / "broken"
    (broken / "items").mkdir(parents=True)
    (broken / "index.json").write_text(json.dumps({"gone": {"split": "train", "kind": "video"}}))
    with pytest.raises(FileNotFoundError, match="1 items"):
        convert(broken, tmp_path / "out2", unpack=False)
    assert not (tmp_path / "out2" / "index.json").exists()  # no index: not mistaken for a complete cache
