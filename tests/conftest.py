import os
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
torch.set_num_threads(min(2, os.cpu_count() or 1))

SHARED_DATA = Path(os.environ.get("LDA_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture
def tiny_config():
    """The lite topology at toy sizes: runs in milliseconds on a CPU."""
    from lda_model import LDAConfig

    return LDAConfig.lite(backbone_size=64, attention_size=32, patch_size=8, embed_dim=16, latent_dim=8, num_modules=3)


@pytest.fixture(scope="session")
def face_clip(tmp_path_factory):
    """A generated 24-frame 256x256 clip of the bundled public-domain face, gently moving."""
    from lda_model.data.animation import make_face_clip

    return make_face_clip(tmp_path_factory.mktemp("clips") / "astronaut.mp4", num_frames=24)


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory):
    """A randomly initialised tiny checkpoint folder (tests only)."""
    from lda_model import LDAConfig, LDADetector

    torch.manual_seed(0)
    cfg = LDAConfig.lite(backbone_size=64, attention_size=32, patch_size=8, embed_dim=16, latent_dim=8,
                         num_modules=3, name="tiny-random")
    path = tmp_path_factory.mktemp("weights") / "tiny"
    LDADetector(cfg).save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_detector(tiny_weights):
    from lda_model import LDADetector

    return LDADetector.from_pretrained(tiny_weights)


@pytest.fixture(scope="session")
def tiny_cache(tmp_path_factory):
    """A `prepare` cache of generated clips (four clip identities: one held out for val, one for test) + a photo."""
    import cv2

    from lda_model.data.prepare import main as prepare_main
    from lda_model.data.animation import animate, load_face_photo, write_video

    # four clip identities: prepare.assign_splits holds one out for test and one for val
    train_ids, val_id, test_id = ["person0", "person1"], "person5", "person12"
    root = tmp_path_factory.mktemp("prep")
    videos, images = root / "videos", root / "images"
    videos.mkdir()
    images.mkdir()
    photo = load_face_photo()
    rows = ["file\tidentity"]
    for k, ident in enumerate(train_ids + [val_id, test_id]):
        name = f"clip{k}.avi"
        write_video(videos / name, animate(photo, 14, size=(160, 160), seed=k))
        rows.append(f"videos/{name}\t{ident}")
    cv2.imwrite(str(images / "still.jpg"), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    rows.append(f"images/still.jpg\t{train_ids[0]}")
    (root / "MANIFEST.tsv").write_text("\n".join(rows) + "\n")
    out = root / "cache"
    assert prepare_main(["--videos", str(videos), "--images", str(images), "--manifest", str(root / "MANIFEST.tsv"),
                         "--out", str(out), "--segments", "3", "--length", "6", "--crop", "72"]) == 0
    return out


@pytest.fixture(scope="session")
def labelled_cache(tmp_path_factory):
    """A FaceForensics++-shaped folder of generated clips (3 pairs of originals, each swapped both ways
    by a "Deepfakes" method), its label file with official-style splits, and its `prepare --labels` cache.
    The "fakes" are the same face with a brightened, recoloured centre: labels, not realism, are tested."""
    import json

    from lda_model.data.labels import main as datasets_main
    from lda_model.data.prepare import main as prepare_main
    from lda_model.data.animation import animate, load_face_photo, write_video

    root = tmp_path_factory.mktemp("ffpp")
    real_dir = root / "original_sequences" / "youtube" / "c23" / "videos"
    fake_dir = root / "manipulated_sequences" / "Deepfakes" / "c23" / "videos"
    real_dir.mkdir(parents=True)
    fake_dir.mkdir(parents=True)
    photo = load_face_photo()
    pairs = [("000", "001"), ("002", "003"), ("004", "005")]
    for k, (a, b) in enumerate(pairs):
        for j, (target, source) in enumerate([(a, b), (b, a)]):
            frames = animate(photo, 14, size=(160, 160), seed=2 * k + j)
            write_video(real_dir / f"{target}.mp4", frames)
            fake = frames.copy()
            fake[:, 50:110, 50:110] = (fake[:, 50:110, 50:110] * [0.7, 1.0, 1.3]).clip(0, 255).astype("uint8")
            write_video(fake_dir / f"{target}_{source}.mp4", fake)
    splits = root / "splits"
    splits.mkdir()
    for name, pair in zip(("train", "val", "test"), pairs):
        (splits / f"{name}.json").write_text(json.dumps([list(pair)]))
    assert datasets_main(["ffpp", str(root), "--splits", str(splits), "--out", str(root / "labels.tsv")]) == 0
    out = root / "cache"
    assert prepare_main(["--labels", str(root / "labels.tsv"), "--out", str(out), "--segments", "2", "--length", "6",
                         "--crop", "72"]) == 0
    return out
