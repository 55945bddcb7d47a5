"""data/prepare.py: the face cache, its identity splits and label files."""

import json

import cv2
import numpy as np

from lda_model.data.store import SegmentStore
from lda_model.data.prepare import assign_splits, clip_splits, index_splits
from lda_model.data.animation import load_face_photo


def test_assign_splits_stratified_and_deterministic():
    clips = [f"clip{k}" for k in range(48)]
    photos = [f"photo{k}" for k in range(100)] + clips[:5]  # some people have both
    splits = assign_splits(clips, photos)
    assert splits == assign_splits(list(reversed(clips)), list(reversed(photos)))
    for group in (clips, [p for p in photos if p.startswith("photo")]):
        counts = {s: sum(splits[i] == s for i in group) for s in ("train", "val", "test")}
        assert counts["test"] == counts["val"] == round(0.1 * len(group))
    assert assign_splits(["a", "b"]) == {"a": "train", "b": "train"}  # too few to hold any out
    assert sorted(assign_splits(["a", "b", "c"]).values()) == ["test", "train", "val"]


def test_clip_splits_follow_the_manifest(tmp_path):
    (tmp_path / "m.tsv").write_text("file\tidentity\nvideos/a1.mp4\tann\nvideos/a2.mp4\tann\n")
    names = ["a1.mp4", "a2.mp4", "bob.mp4", "cy.mp4"]
    splits = clip_splits(names, str(tmp_path / "m.tsv"))
    assert splits["a1.mp4"] == splits["a2.mp4"]  # one person, one split
    expected = assign_splits(["ann", "bob", "cy"])  # without a manifest row, the stem is the identity
    assert splits == {"a1.mp4": expected["ann"], "a2.mp4": expected["ann"], "bob.mp4": expected["bob"],
                      "cy.mp4": expected["cy"]}


def test_prepare_cache(tiny_cache):
    index = json.loads((tiny_cache / "index.json").read_text())
    assert len(index) == 5
    assert {v["split"] for v in index.values()} == {"train", "val", "test"}
    assert all(v["split"] == index_splits(index)[v["identity"]] for v in index.values())
    # the photo's identity also has a clip, so it follows that clip's split
    assert index["img_images_still"]["split"] == index["clip0"]["split"]
    z = np.load(tiny_cache / "items" / "clip0.npz")
    assert z["crops"].shape[1:] == (6, 72, 72, 3) and z["landmarks"].shape[1:] == (6, 478, 2)
    # landmarks are in crop coordinates: inside the crop
    assert 0 < z["landmarks"][..., 0].mean() < 72
    assert index["img_images_still"]["segments"] == 1


def test_prepare_workers_make_the_same_cache(tiny_cache, tmp_path):
    """The tiny cache again with two worker processes: the same index and the same arrays."""
    from lda_model.data.prepare import main as prepare_main

    src = tiny_cache.parent
    out = tmp_path / "cache"
    assert prepare_main(["--videos", str(src / "videos"), "--images", str(src / "images"), "--manifest",
                         str(src / "MANIFEST.tsv"), "--out", str(out), "--segments", "3", "--length", "6",
                         "--crop", "72", "--workers", "2"]) == 0
    one, two = (json.loads((c / "index.json").read_text()) for c in (tiny_cache, out))
    assert list(two) == sorted(two) and two == one
    for name in one:
        a, b = np.load(tiny_cache / "items" / f"{name}.npz"), np.load(out / "items" / f"{name}.npz")
        assert np.array_equal(a["crops"], b["crops"]) and np.array_equal(a["landmarks"], b["landmarks"])


def test_prepare_labels_caches_fakes_with_their_split(labelled_cache, tmp_path):
    import shutil

    from lda_model.data.prepare import main as prepare_main

    index = json.loads((labelled_cache / "index.json").read_text())
    assert len(index) == 12 and sum(v["label"] for v in index.values()) == 6
    # FF++'s a_b.mp4 exists once per method: the method names the item; the pair's split comes from the official files
    assert {k: v["split"] for k, v in index.items() if k.startswith("Deepfakes")} == {
        "Deepfakes_000_001": "train", "Deepfakes_001_000": "train", "Deepfakes_002_003": "val",
        "Deepfakes_003_002": "val", "Deepfakes_004_005": "test", "Deepfakes_005_004": "test"}
    assert index["original_004"]["split"] == "test" and index["original_004"]["label"] == 0
    # --resplit keeps the splits the label file fixed (sha1 of "004+005" alone would not put it in test)
    copy = tmp_path / "cache"
    shutil.copytree(labelled_cache, copy)
    assert prepare_main(["--out", str(copy), "--resplit"]) == 0
    assert json.loads((copy / "index.json").read_text()) == index
    # a label file without a label column is refused with a message, nothing written
    (tmp_path / "bad.tsv").write_text("file\n000.mp4\n")
    assert prepare_main(["--labels", str(tmp_path / "bad.tsv"), "--out", str(tmp_path / "none")]) == 2


def test_prepare_photo_frames_calms_the_animated_still(tmp_path):
    from lda_model.inference.faces import DEFAULT_MARGIN
    from lda_model.data.prepare import prepare_image

    path = tmp_path / "still.png"
    cv2.imwrite(str(path), cv2.cvtColor(load_face_photo(), cv2.COLOR_RGB2BGR))
    motion = {}
    for frames in (None, 32):  # the default animates one whole cycle over the 6 kept frames
        crops, lms = prepare_image(path, 6, 72, DEFAULT_MARGIN, seed=1, photo_frames=frames)
        assert crops.shape == (1, 6, 72, 72, 3) and lms.shape == (1, 6, 478, 2)
        motion[frames] = float(np.linalg.norm(np.diff(lms.astype(np.float32), axis=1), axis=-1).mean())
    assert motion[32] < motion[None] / 2  # px per frame: a slow cycle moves the face far less between frames


def test_prepare_resplit_fold_holds_out_other_people(tiny_cache, tmp_path):
    from lda_model.data.prepare import main as prepare_main

    fold = tmp_path / "fold1"  # a copy that shares the crops: only the index differs
    fold.mkdir()
    (fold / "items").symlink_to(tiny_cache / "items", target_is_directory=True)
    (fold / "index.json").write_text((tiny_cache / "index.json").read_text())
    assert prepare_main(["--out", str(fold), "--resplit", "--fold", "1"]) == 0
    before = json.loads((tiny_cache / "index.json").read_text())
    after = json.loads((fold / "index.json").read_text())
    held = lambda idx: {v["identity"] for v in idx.values() if v["split"] != "train"}  # noqa: E731
    assert held(after) == {"person0", "person1"} and not held(after) & held(before)  # the fold-0 held-out people train
    assert SegmentStore(fold, "test").identities and SegmentStore(fold, "train").identities
    assert prepare_main(["--out", str(fold), "--resplit", "--fold", "2"]) == 2  # 4 clip identities: 2 folds
    assert json.loads((fold / "index.json").read_text()) == after  # a refused fold leaves the index alone
