"""Whatever arrives, the library answers with a clear VideoError or a result — never a crash or a hang."""

import os
import time
import wave

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lda_model.inference.pipeline import analyze_video, extract_faces
from lda_model.inference.faces import crop_square
from lda_model.data.animation import animate, load_face_photo, write_video
from lda_model.inference.video import VideoError, iter_frames, probe_video


@pytest.fixture(scope="module")
def small_clip(tmp_path_factory):
    frames = animate(load_face_photo(), 10, size=(160, 160), seed=2)
    return write_video(tmp_path_factory.mktemp("rel") / "small.avi", frames)


def test_truncated_file(tmp_path, small_clip, tiny_detector):
    data = small_clip.read_bytes()
    cut = tmp_path / "truncated.avi"
    cut.write_bytes(data[: len(data) // 3])
    try:
        res = analyze_video(cut, tiny_detector)
        assert res.to_json()["faces"] in (0, 1)  # what survived decodes, or a clear error
    except VideoError as err:
        assert str(err)
    head = tmp_path / "header_only.avi"
    head.write_bytes(data[:200])
    with pytest.raises(VideoError):
        analyze_video(head, tiny_detector)


def test_image_renamed_to_mp4(tmp_path, tiny_detector):
    path = tmp_path / "photo.mp4"
    ok, buf = cv2.imencode(".jpg", load_face_photo())
    path.write_bytes(buf.tobytes())
    with pytest.raises(VideoError):
        analyze_video(path, tiny_detector)  # one frame at most: not enough for n + 1


def test_audio_only(tmp_path, tiny_detector):
    path = tmp_path / "voice.mp4"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes((np.sin(np.arange(8000) / 5) * 3000).astype(np.int16).tobytes())
    with pytest.raises(VideoError):
        analyze_video(path, tiny_detector)


@pytest.mark.parametrize("frames", [1, 2])
def test_too_few_frames(tmp_path, tiny_detector, frames):
    path = write_video(tmp_path / f"f{frames}.avi", animate(load_face_photo(), frames))
    with pytest.raises(VideoError, match="needs at least"):
        analyze_video(path, tiny_detector)


def test_greyscale_clip(tmp_path, tiny_detector):
    grey = cv2.cvtColor(load_face_photo(), cv2.COLOR_RGB2GRAY)
    frames = animate(np.stack([grey] * 3, -1), 8, seed=4)
    path = tmp_path / "grey.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (512, 512), isColor=False)
    for f in frames:
        writer.write(f[..., 0])
    writer.release()
    res = analyze_video(path, tiny_detector, num_points=3)
    assert res.to_json()["faces"] == 1


def test_tiny_face_is_no_face(tmp_path, tiny_detector):
    small = cv2.resize(load_face_photo(), (40, 40))
    canvas = np.full((8, 360, 480, 3), 90, np.uint8)
    canvas[:, 100:140, 200:240] = small
    path = write_video(tmp_path / "tiny.avi", canvas)
    assert analyze_video(path, tiny_detector, num_points=3).to_json()["faces"] == 0


def test_4k_clip_is_downscaled(tmp_path):
    frames = animate(load_face_photo(), 6, size=(3840, 2160), amplitude=0.2)
    path = write_video(tmp_path / "uhd.avi", frames)
    faces = extract_faces(path, clip_length=4, crop_size=64, num_points=2)
    assert faces.frame_scale == pytest.approx(0.5)
    assert len(faces.tracks) == 1
    box = faces.tracks[0][0].box / faces.frame_scale  # reported in original pixels
    assert box[2] > 1000


def test_corrupted_frames_in_the_middle(tmp_path, tiny_detector):
    path = write_video(tmp_path / "c.avi", animate(load_face_photo(), 30, size=(160, 160), seed=5))
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(0)
    mid = len(data) // 2
    for pos in rng.integers(mid - 2000, mid + 2000, 300):
        data[pos] = rng.integers(0, 256)
    bad = tmp_path / "corrupt.avi"
    bad.write_bytes(bytes(data))
    # the frames that still decode are analysed; the damaged ones are skipped, not fatal
    record = analyze_video(bad, tiny_detector, num_points=8).to_json()
    assert record["faces"] == 1 and record["label"] in ("REAL", "FAKE")
    assert 1 <= len(record["frames"]) < 8


# --- fuzzing: mutated video bytes and odd crop geometry --------------------------------------
# The seed corpus is one generated 5-frame MJPG clip of the bundled face; hypothesis mutates up
# to 40 bytes and truncates. CI runs a bounded number of examples; a longer run:
#   LDA_FUZZ_EXAMPLES=2000 python -m pytest tests/test_reliability.py -k fuzz
FUZZ_EXAMPLES = int(os.environ.get("LDA_FUZZ_EXAMPLES", "25"))
_SEED_CLIP = None


def seed_clip_bytes(tmp_dir) -> bytes:
    global _SEED_CLIP
    if _SEED_CLIP is None:
        _SEED_CLIP = write_video(tmp_dir / "seed.avi", animate(load_face_photo(), 5, size=(64, 64))).read_bytes()
    return _SEED_CLIP


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_decoding(tmp_path, data):
    raw = bytearray(seed_clip_bytes(tmp_path))
    for _ in range(data.draw(st.integers(1, 40))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    path = tmp_path / "fuzz.avi"
    path.write_bytes(bytes(raw))
    start = time.time()
    try:
        probe_video(path)
        for _, _, frame in iter_frames(path, list(range(8))):
            assert frame.ndim == 3 and frame.shape[2] == 3
    except VideoError:
        pass
    assert time.time() - start < 10


@settings(max_examples=max(60, FUZZ_EXAMPLES), deadline=None)
@given(h=st.integers(1, 80), w=st.integers(1, 80), cx=st.floats(-200, 300), cy=st.floats(-200, 300),
       side=st.floats(0.1, 500), size=st.integers(1, 64), grey=st.booleans())
def test_fuzz_crop(h, w, cx, cy, side, size, grey):
    frame = np.random.default_rng(0).integers(0, 255, (h, w) if grey else (h, w, 3), dtype=np.uint8)
    out = crop_square(frame, np.array([cx, cy, side], np.float32), size)
    assert out.shape[:2] == (size, size) and out.dtype == np.uint8


def rotate_mp4_metadata(path, degrees=90):
    """Set the video track's display matrix (tkhd) like a phone that was held sideways."""
    data = bytearray(path.read_bytes())
    i = data.find(b"tkhd")
    assert i > 0 and data[i + 4] == 0  # version-0 track header
    m = i + 4 + 4 + 4 * 5 + 8 + 8  # version/flags, 5 words, reserved 8, layer..volume..reserved 8
    one, minus_one = 0x00010000, 0xFFFF0000
    matrix = {90: [0, one, 0, minus_one, 0, 0], 180: [minus_one, 0, 0, 0, minus_one, 0]}[degrees]
    for k, v in enumerate(matrix):
        data[m + 4 * k:m + 4 * k + 4] = v.to_bytes(4, "big")
    path.write_bytes(bytes(data))


def test_rotated_phone_video(tmp_path, tiny_detector):
    frames = animate(np.ascontiguousarray(np.rot90(load_face_photo())), 8, size=(320, 240), seed=6, amplitude=0.2)
    path = write_video(tmp_path / "phone.mp4", frames)
    rotate_mp4_metadata(path, 90)
    _, _, frame = next(iter_frames(path, [0]))
    assert frame.shape[:2] == (320, 240)  # rotation metadata honoured: portrait
    res = analyze_video(path, tiny_detector, num_points=3)
    assert res.to_json()["faces"] == 1


def _boxes(data, start, end):
    """(type, start, size) of the ISO-BMFF boxes in data[start:end]."""
    out, pos = [], start
    while pos + 8 <= end:
        size = int.from_bytes(data[pos:pos + 4], "big")
        out.append((bytes(data[pos + 4:pos + 8]), pos, size))
        if size < 8:
            break
        pos += size
    return out


def make_variable_frame_rate(path, fast_from: int):
    """Rewrite the mp4's time-to-sample table: frames from `fast_from` on last half as long
    (shorter, so the declared durations still cover the whole timeline)."""
    data = bytearray(path.read_bytes())
    chain, start, end = [], 0, len(data)
    for name in (b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stts"):
        box = next(b for b in _boxes(data, start, end) if b[0] == name)
        chain.append(box)
        start, end = box[1] + 8, box[1] + box[2]
    _, pos, size = chain[-1]
    count = int.from_bytes(data[pos + 16:pos + 20], "big")
    delta = int.from_bytes(data[pos + 20:pos + 24], "big")
    entries = [(fast_from, delta), (count - fast_from, delta // 2)]
    body = (0).to_bytes(4, "big") + len(entries).to_bytes(4, "big") + b"".join(
        c.to_bytes(4, "big") + d.to_bytes(4, "big") for c, d in entries)
    new = (8 + len(body)).to_bytes(4, "big") + b"stts" + body
    grow = len(new) - size
    data[pos:pos + size] = new
    for _, p, s in chain[:-1]:
        data[p:p + 4] = (s + grow).to_bytes(4, "big")
    mdat = next(b for b in _boxes(data, 0, len(data)) if b[0] == b"mdat")
    if chain[0][1] < mdat[1]:  # moov before mdat: chunk offsets move with it
        stbl = chain[-2]
        stco = next(b for b in _boxes(data, stbl[1] + 8, stbl[1] + stbl[2] + grow) if b[0] == b"stco")
        n = int.from_bytes(data[stco[1] + 12:stco[1] + 16], "big")
        for k in range(n):
            o = stco[1] + 16 + 4 * k
            data[o:o + 4] = (int.from_bytes(data[o:o + 4], "big") + grow).to_bytes(4, "big")
    path.write_bytes(bytes(data))


def test_variable_frame_rate_times_come_from_the_container(tmp_path, tiny_detector):
    path = write_video(tmp_path / "vfr.mp4", animate(load_face_photo(), 20, size=(160, 160), seed=7), fps=25)
    make_variable_frame_rate(path, fast_from=10)
    times = [t for _, t, _ in iter_frames(path, list(range(20)))]
    assert len(times) == 20
    steps = np.diff(times)
    assert steps[:9] == pytest.approx(0.04, abs=2e-3)  # 25 fps
    assert steps[10:] == pytest.approx(0.02, abs=2e-3)  # then 50 fps
    rec = analyze_video(path, tiny_detector, num_points=4).to_json()
    last = rec["frames"][-1]
    assert last["time_s"] == pytest.approx(0.4 + (last["index"] - 10) * 0.02, abs=3e-3)  # not index / fps
