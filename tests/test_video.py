import numpy as np
import pytest

from lda_model.data.animation import animate, load_face_photo, write_video
from lda_model.inference.video import (VideoError, analysis_points, count_frames, fit_max_side, frames_needed, iter_frames,
                             probe_video)


def test_analysis_points_even_and_in_range():
    pts = analysis_points(100, 4, 4)
    assert pts == [0, 32, 64, 96]
    assert all(p + 3 < 100 for p in analysis_points(100, 4, 32))
    assert analysis_points(5, 4, 32) == [0, 1]  # fewer points than asked when the clip is short
    assert analysis_points(4, 4, 32) == [0]


def test_analysis_points_too_short():
    with pytest.raises(VideoError, match="needs at least 4"):
        analysis_points(2, 4, 32)


def test_frames_needed():
    assert frames_needed([0, 2], 3) == [0, 1, 2, 3, 4]


def test_fit_max_side():
    big = np.zeros((2160, 3840, 3), np.uint8)
    assert fit_max_side(big, 1920).shape == (1080, 1920, 3)
    small = np.zeros((100, 50, 3), np.uint8)
    assert fit_max_side(small, 1920) is small


def test_probe_and_stream(face_clip):
    info = probe_video(face_clip)
    assert (info.width, info.height) == (256, 256)
    assert info.fps == pytest.approx(25.0)
    assert count_frames(face_clip) == 24
    got = list(iter_frames(face_clip, [0, 5, 6, 23]))
    assert [g[0] for g in got] == [0, 5, 6, 23]
    assert [round(g[1], 3) for g in got] == [0.0, 0.2, 0.24, 0.92]  # container time stamps at 25 fps
    assert got[0][2].shape == (256, 256, 3) and got[0][2].dtype == np.uint8


def test_stream_is_rgb(tmp_path):
    frames = np.zeros((3, 32, 32, 3), np.uint8)
    frames[..., 0] = 200  # pure red in RGB
    path = write_video(tmp_path / "red.avi", frames)
    _, _, rgb = next(iter_frames(path, [0]))
    assert rgb[..., 0].mean() > 150 and rgb[..., 2].mean() < 60


def test_max_side_downscales(tmp_path):
    frames = animate(load_face_photo(), 3, size=(640, 480))
    path = write_video(tmp_path / "big.mp4", frames)
    _, _, rgb = next(iter_frames(path, [0], max_side=320))
    assert rgb.shape == (240, 320, 3)


@pytest.mark.parametrize(
    "name,content,match",
    [
        ("empty.mp4", b"", "empty file"),
        ("noise.mp4", bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8)), "not a readable video|no decodable"),
        ("notes.mp4", b"this is a text file, not a video\n" * 50, "not a readable video|no decodable"),
    ],
)
def test_bad_files_are_clear_errors(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(VideoError, match=match):
        probe_video(path)


def test_missing_file(tmp_path):
    with pytest.raises(VideoError, match="no such file"):
        probe_video(tmp_path / "nope.mp4")


def test_prefetch_order_errors_and_early_close():
    from lda_model.inference.video import prefetch

    assert list(prefetch(iter(range(50)), depth=3)) == list(range(50))

    def boom():
        yield 1
        raise VideoError("broken in the middle")

    it = prefetch(boom())
    assert next(it) == 1
    with pytest.raises(VideoError, match="broken"):
        next(it)
    closed = []

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.append(True)

    it = prefetch(endless(), depth=2)
    assert [next(it) for _ in range(5)] == [0, 1, 2, 3, 4]
    it.close()
    assert closed == [True]  # the producer stopped and closed its iterator
