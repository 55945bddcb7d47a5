import pytest

from lda_model.data.splits import LabelRow, assign_splits, read_label_file, resolve_splits, write_label_file


def test_assign_splits_keeps_placed_identities():
    ids = [f"p{i}" for i in range(20)]
    free = assign_splits(ids)
    placed = assign_splits(ids, placed={"p3": "test", "extra": "val"})
    assert placed["p3"] == "test" and placed["extra"] == "val"
    # the placed identity is not ranked: the other 19 share 2 test + 2 val places among themselves
    others = {i: s for i, s in placed.items() if i not in ("p3", "extra")}
    assert sorted(others.values()).count("test") == 2 and sorted(others.values()).count("val") == 2
    assert free != placed


def test_folds_hold_out_disjoint_people_and_fold_0_is_the_default():
    clips, photos = [f"c{i}" for i in range(20)], [f"p{i}" for i in range(40)]
    assert assign_splits(clips, photos, fold=0) == assign_splits(clips, photos)
    held = []
    for fold in range(5):  # 20 clip identities: 2 test + 2 val per fold, so 5 folds
        split = assign_splits(clips, photos, fold=fold)
        out = {i for i, s in split.items() if s != "train"}
        assert [s for i, s in split.items() if i in clips].count("test") == 2
        assert [s for i, s in split.items() if i in photos].count("val") == 4  # stratified as fold 0 is
        assert all(not (out & h) for h in held)  # nobody is held out in two folds
        held.append(out)
    assert set().union(*held) == set(clips) | set(photos)  # five folds hold out everyone once
    with pytest.raises(ValueError, match="only 5 folds"):
        assign_splits(clips, photos, fold=5)
    assert assign_splits(["a", "b"], fold=7) == {"a": "train", "b": "train"}  # too few to hold out: no error


def test_resolve_splits_fixed_rows_and_identities():
    rows = [LabelRow("a.mp4", "REAL", identity="x", split="train"),
            LabelRow("b.mp4", "FAKE", identity="x"),  # same identity, no split: follows its fixed row
            *[LabelRow(f"r{i}.mp4", "REAL") for i in range(30)]]
    where = resolve_splits(rows)
    assert where["a.mp4"] == where["b.mp4"] == "train"
    auto = [where[f"r{i}.mp4"] for i in range(30)]
    assert auto.count("test") == 3 and auto.count("val") == 3  # 10 % each of the 30 unplaced identities
    # the same rows in another order give the same answer (prepare and evaluate --split agree)
    assert resolve_splits(rows[::-1]) == where
    # a file that names its test clips (Celeb-DF) gets no more: the others fill val and train only
    where = resolve_splits([LabelRow("t.mp4", "FAKE", split="test"), *rows[2:]])
    auto = [where[f"r{i}.mp4"] for i in range(30)]
    assert auto.count("test") == 0 and auto.count("val") == 3 and where["t.mp4"] == "test"


def test_resolve_splits_refuses_an_identity_in_two_splits():
    rows = [LabelRow("a.mp4", "REAL", identity="x", split="train"), LabelRow("b.mp4", "FAKE", identity="x", split="test")]
    with pytest.raises(ValueError, match="both train and test"):
        resolve_splits(rows)


def test_label_file_round_trip_and_errors(tmp_path):
    rows = [LabelRow("v/000.mp4", "REAL", "original", "000+001", "train"), LabelRow("v/001_000.mp4", "FAKE", "Deepfakes")]
    back = read_label_file(write_label_file(rows, tmp_path / "labels.tsv"))
    assert back == rows and [r.is_fake for r in back] == [False, True] and back[1].person == "001_000"
    (tmp_path / "bad.tsv").write_text("file\tgroup\nx.mp4\ty\n")
    with pytest.raises(ValueError, match="no label column"):
        read_label_file(tmp_path / "bad.tsv")
    (tmp_path / "bad2.tsv").write_text("file\tlabel\tsplit\nx.mp4\tREAL\tholdout\n")
    with pytest.raises(ValueError, match="not one of train, val, test"):
        read_label_file(tmp_path / "bad2.tsv")
