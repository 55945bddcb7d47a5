from lda_model.datasets import celebdf_rows, ffpp_rows, main
from lda_model.evaluate import read_labels


def test_ffpp_layout(tmp_path):
    for rel in ["original_sequences/youtube/c23/videos/000.mp4", "manipulated_sequences/Deepfakes/c23/videos/000_003.mp4",
                "manipulated_sequences/FaceSwap/c23/videos/000_003.mp4", "manipulated_sequences/FaceSwap/c40/videos/x.mp4"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    rows = ffpp_rows(tmp_path)
    assert rows == [("original_sequences/youtube/c23/videos/000.mp4", "REAL", "original"),
                    ("manipulated_sequences/Deepfakes/c23/videos/000_003.mp4", "FAKE", "Deepfakes"),
                    ("manipulated_sequences/FaceSwap/c23/videos/000_003.mp4", "FAKE", "FaceSwap")]
    assert main(["ffpp", str(tmp_path), "--out", str(tmp_path / "labels.tsv")]) == 0
    labels = read_labels(tmp_path / "labels.tsv", None, {"FaceSwap"})
    assert [(p.name, y) for p, y, _ in labels] == [("000_003.mp4", 1)]


def test_celebdf_list(tmp_path):
    (tmp_path / "List_of_testing_videos.txt").write_text("1 YouTube-real/00170.mp4\n0 Celeb-synthesis/id0_id1_0000.mp4\n")
    assert celebdf_rows(tmp_path) == [("YouTube-real/00170.mp4", "REAL", "YouTube-real"),
                                      ("Celeb-synthesis/id0_id1_0000.mp4", "FAKE", "Celeb-synthesis")]
    assert main(["celebdf", str(tmp_path / "missing"), "--out", str(tmp_path / "x.tsv")]) == 1


def test_empty_root_is_an_error(tmp_path):
    assert main(["ffpp", str(tmp_path), "--out", str(tmp_path / "labels.tsv")]) == 1
