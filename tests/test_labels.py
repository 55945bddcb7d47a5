import json

from lda_model.data.labels import celebdf_rows, dfdc_rows, ffpp_rows, folder_rows, main, pair_identities
from lda_model.data.splits import resolve_splits
from lda_model.evaluation.detection import read_labels
from lda_model.data.splits import read_label_file

FFPP = ["original_sequences/youtube/c23/videos/000.mp4", "original_sequences/youtube/c23/videos/003.mp4",
        "manipulated_sequences/Deepfakes/c23/videos/000_003.mp4", "manipulated_sequences/FaceSwap/c23/videos/000_003.mp4",
        "manipulated_sequences/FaceSwap/c23/videos/003_000.mp4", "manipulated_sequences/FaceSwap/c40/videos/x.mp4",
        "original_sequences/youtube/c23/videos/007.mp4"]


def touch(root, rels):
    for rel in rels:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"")


def test_ffpp_layout(tmp_path):
    touch(tmp_path, FFPP)
    rows = ffpp_rows(tmp_path)
    assert [(r.file, r.label, r.group) for r in rows] == [
        ("original_sequences/youtube/c23/videos/000.mp4", "REAL", "original"),
        ("original_sequences/youtube/c23/videos/003.mp4", "REAL", "original"),
        ("original_sequences/youtube/c23/videos/007.mp4", "REAL", "original"),
        ("manipulated_sequences/Deepfakes/c23/videos/000_003.mp4", "FAKE", "Deepfakes"),
        ("manipulated_sequences/FaceSwap/c23/videos/000_003.mp4", "FAKE", "FaceSwap"),
        ("manipulated_sequences/FaceSwap/c23/videos/003_000.mp4", "FAKE", "FaceSwap")]
    # the two videos a swap joins are one identity, so no split holds a face another split trained on
    assert [r.identity for r in rows] == ["000+003", "000+003", "007", "000+003", "000+003", "000+003"]
    assert all(r.split == "" for r in rows)
    assert main(["ffpp", str(tmp_path), "--out", str(tmp_path / "labels.tsv")]) == 0
    labels = read_labels(tmp_path / "labels.tsv", None, {"FaceSwap"})
    assert [(p.name, y) for p, y, _ in labels] == [("000_003.mp4", 1), ("003_000.mp4", 1)]


def test_ffpp_official_splits(tmp_path):
    touch(tmp_path, FFPP)
    splits = tmp_path / "splits"
    splits.mkdir()
    for name, pairs in {"train": [["000", "003"]], "val": [], "test": [["007", "008"]]}.items():
        (splits / f"{name}.json").write_text(json.dumps(pairs))
    assert main(["ffpp", str(tmp_path), "--splits", str(splits), "--out", str(tmp_path / "labels.tsv")]) == 0
    rows = read_label_file(tmp_path / "labels.tsv")
    assert {r.file.split("/")[-1]: r.split for r in rows} == {"000.mp4": "train", "003.mp4": "train", "007.mp4": "test",
                                                             "000_003.mp4": "train", "003_000.mp4": "train"}
    # evaluate --split test keeps the official test clips only
    assert [p.name for p, _, _ in read_labels(tmp_path / "labels.tsv", None, None, {"test"})] == ["007.mp4"]
    # a video missing from the official files is an error, not a silent train clip
    (splits / "test.json").write_text("[]")
    assert main(["ffpp", str(tmp_path), "--splits", str(splits), "--out", str(tmp_path / "x.tsv")]) == 1


def test_pair_identities_joins_chains():
    ids = pair_identities(["001", "001_002", "002_005", "009"])
    assert ids == {"001": "001+002+005", "002": "001+002+005", "005": "001+002+005", "009": "009"}


def test_celebdf_list_and_training_clips(tmp_path):
    (tmp_path / "List_of_testing_videos.txt").write_text("1 YouTube-real/00170.mp4\n0 Celeb-synthesis/id0_id1_0000.mp4\n")
    touch(tmp_path, ["YouTube-real/00170.mp4", "YouTube-real/00171.mp4", "Celeb-real/id0_0001.mp4",
                     "Celeb-synthesis/id0_id1_0000.mp4", "Celeb-synthesis/id0_id1_0001.mp4"])
    rows = celebdf_rows(tmp_path)
    assert [(r.file, r.label, r.group, r.split) for r in rows] == [
        ("YouTube-real/00170.mp4", "REAL", "YouTube-real", "test"),
        ("Celeb-synthesis/id0_id1_0000.mp4", "FAKE", "Celeb-synthesis", "test"),
        ("Celeb-real/id0_0001.mp4", "REAL", "Celeb-real", ""),
        ("YouTube-real/00171.mp4", "REAL", "YouTube-real", ""),
        ("Celeb-synthesis/id0_id1_0001.mp4", "FAKE", "Celeb-synthesis", "")]
    assert main(["celebdf", str(tmp_path), "--out", str(tmp_path / "labels.tsv")]) == 0
    test = read_labels(tmp_path / "labels.tsv", None, None, {"test"})
    assert [(p.name, y) for p, y, _ in test] == [("00170.mp4", 0), ("id0_id1_0000.mp4", 1)]
    assert main(["celebdf", str(tmp_path / "missing"), "--out", str(tmp_path / "x.tsv")]) == 1


def test_empty_root_is_an_error(tmp_path):
    assert main(["ffpp", str(tmp_path), "--out", str(tmp_path / "labels.tsv")]) == 1


def test_dfdc_fakes_share_their_originals_identity(tmp_path):
    part = tmp_path / "dfdc_train_part_0"
    part.mkdir()
    meta = {"aaa.mp4": {"label": "REAL", "split": "train"},
            "bbb.mp4": {"label": "FAKE", "split": "train", "original": "aaa.mp4"},
            "ccc.mp4": {"label": "FAKE", "split": "train", "original": "ddd.mp4"}}
    (part / "metadata.json").write_text(json.dumps(meta))
    rows = dfdc_rows(tmp_path)
    assert [(r.file, r.label, r.group, r.identity) for r in rows] == [
        ("dfdc_train_part_0/aaa.mp4", "REAL", "dfdc_train_part_0", "aaa"),
        ("dfdc_train_part_0/bbb.mp4", "FAKE", "dfdc_train_part_0", "aaa"),
        ("dfdc_train_part_0/ccc.mp4", "FAKE", "dfdc_train_part_0", "ddd")]
    where = resolve_splits(rows)
    assert where["dfdc_train_part_0/aaa.mp4"] == where["dfdc_train_part_0/bbb.mp4"]
    assert main(["dfdc", str(tmp_path / "none"), "--out", str(tmp_path / "x.tsv")]) == 1


def test_folders_of_real_and_fake_clips(tmp_path):
    touch(tmp_path, ["real/a.mp4", "real/studio/b.webm", "Fake/swap/c.avi", "fake/notes.txt", "other/d.mp4"])
    rows = folder_rows(tmp_path)
    assert [(r.file, r.label, r.group) for r in rows] == [
        ("Fake/swap/c.avi", "FAKE", "swap"), ("real/a.mp4", "REAL", "real"), ("real/studio/b.webm", "REAL", "studio")]
    assert main(["folders", str(tmp_path), "--out", str(tmp_path / "labels.tsv")]) == 0
    assert len(read_labels(tmp_path / "labels.tsv", None, None)) == 3
    assert main(["folders", str(tmp_path / "other"), "--out", str(tmp_path / "x.tsv")]) == 1  # no real/ or fake/
