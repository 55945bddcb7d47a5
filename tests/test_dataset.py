"""data/dataset.py: balanced real / synthesized-fake clips, augmentation and mask targets."""


import numpy as np
import pytest
import torch

from lda_model.data.dataset import SynthClips, augment_clip, mask_to_grid
from lda_model.data.store import SegmentStore
from lda_model.data.animation import load_face_photo


def test_dataset_balanced_and_deterministic(tiny_cache):
    store = SegmentStore(tiny_cache, "train")
    ds = SynthClips(store, clip_length=4, size=64, length=8, seed=1)
    clip, label = ds[3]
    assert clip.shape == (4, 3, 64, 64) and label.item() == 1.0 and ds[2][1].item() == 0.0
    assert torch.equal(ds[3][0], clip)  # same (seed, epoch, i): same sample
    ds.set_epoch(1)
    assert not torch.equal(ds[3][0], clip)
    assert -1.01 <= clip.min() and clip.max() <= 1.01


def test_epoch_sampler_feeds_persistent_workers_the_epoch(tiny_cache):
    from torch.utils.data import DataLoader

    from lda_model.data.dataset import EpochSampler

    ds = SynthClips(SegmentStore(tiny_cache, "train"), clip_length=4, size=64, length=4, seed=1)
    sampler = EpochSampler([0, 1, 2, 3])
    loader = DataLoader(ds, batch_size=2, sampler=sampler, num_workers=1, persistent_workers=True)
    seen = {}
    for epoch in (0, 1):
        sampler.set_epoch(epoch)
        seen[epoch] = torch.cat([clip for clip, _ in loader])  # (4, n+1, 3, 64, 64), one worker kept up
    for epoch in (0, 1):
        ds.set_epoch(epoch)  # the same items, asked for directly
        assert torch.equal(seen[epoch], torch.stack([ds[i][0] for i in range(4)]))
        assert torch.equal(ds[(epoch, 3)][0], ds[3][0])
    assert not torch.equal(seen[0], seen[1])


def test_augment_is_shared_by_all_frames():
    frames = np.repeat(load_face_photo()[None, :128, :128], 3, 0)
    out = augment_clip(frames, 64, np.random.default_rng(0))
    assert out.shape == (3, 64, 64, 3)
    assert np.array_equal(out[0], out[1]) and np.array_equal(out[1], out[2])


def test_augment_moves_masks_with_the_frames():
    frames = np.zeros((2, 96, 96, 3), np.uint8)
    frames[:, 20:60, 10:40] = 255  # a white square ...
    masks = (frames[..., 0] > 0).astype(np.float32)  # ... and its mask
    for seed in range(6):  # crops, scales and flips vary with the seed
        plain = augment_clip(frames, 48, np.random.default_rng(seed))
        out, moved = augment_clip(frames, 48, np.random.default_rng(seed), masks=masks)
        assert np.array_equal(out, plain)  # masks change no random draw
        assert moved.shape == (2, 48, 48) and moved.dtype == np.float32
        inside = out[..., 0].astype(float)[moved > 0.9]
        outside = out[..., 0].astype(float)[moved < 0.1]
        assert inside.mean() > 150 and outside.mean() < 100  # the mask still covers the square


def test_compress_makes_a_small_blocky_clip_and_keeps_the_rest():
    import cv2

    frames = np.repeat(load_face_photo()[None, 100:292, 160:352], 2, 0)  # (2, 192, 192, 3), the face
    masks = np.zeros(frames.shape[:3], np.float32)
    masks[:, 60:120, 60:120] = 1

    def detail(clip):  # high-frequency energy
        return float(np.mean([cv2.Laplacian(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var() for f in clip]))

    for seed in range(4):
        plain, m0 = augment_clip(frames, 160, np.random.default_rng(seed), masks=masks)
        off = augment_clip(frames, 160, np.random.default_rng(seed), masks=masks, compress=0.0)
        small, m1 = augment_clip(frames, 160, np.random.default_rng(seed), masks=masks, compress=1.0)
        assert np.array_equal(off[0], plain) and np.array_equal(m0, m1)  # off: the same draws; masks unmoved
        assert small.shape == plain.shape and np.array_equal(small[0], small[1])  # every frame alike
        assert detail(small) < 0.5 * detail(plain)


def test_mask_to_grid_is_the_blended_fraction_per_patch():
    masks = np.zeros((3, 64, 64), np.float32)
    masks[1, :16, :32] = 1.0  # the top-left 2 x 4 patches of an 8 x 8 grid at frame 1
    masks[2] = 0.5
    grid = mask_to_grid(masks, 8)
    assert grid.shape == (3, 8, 8)
    assert grid[0].max() == 0 and np.allclose(grid[2], 0.5)
    assert np.allclose(grid[1, :2, :4], 1) and grid[1].sum() == pytest.approx(8)


def test_dataset_mask_targets(tiny_cache):
    store = SegmentStore(tiny_cache, "train")
    plain = SynthClips(store, clip_length=4, size=64, length=8, seed=1)
    masked = SynthClips(store, clip_length=4, size=64, length=8, seed=1, mask_grid=8)
    for i in range(4):
        clip, label, target = masked[i]
        assert torch.equal(clip, plain[i][0]) and label == plain[i][1]  # same samples, one more output
        assert target.shape == (4, 8, 8) and 0 <= target.min() and target.max() <= 1
        if label:  # a fake is blended somewhere in every frame, a real nowhere
            assert (target.amax(dim=(1, 2)) > 0.2).all()
        else:
            assert target.max() == 0


def test_labelled_fakes_are_drawn_as_they_are(labelled_cache, tiny_cache, monkeypatch):
    import lda_model.data.dataset as data
    from lda_model.inference.transforms import crops_to_tensor

    assert SegmentStore(labelled_cache, "train").labels == [0, 0]  # real items only, unless asked
    store = SegmentStore(labelled_cache, "train", labels=(0, 1))
    assert store.labels == [1, 1, 0, 0] and len(store.fake_segments) == 4 and store.groups[0] == "Deepfakes"
    calls = []
    monkeypatch.setattr(data, "forge_clip", lambda *a, **k: calls.append(1) or (_ for _ in ()).throw(AssertionError))
    ds = SynthClips(store, clip_length=4, size=72, length=12, augment=0.0)  # the store's 72 px crops, unchanged
    assert ds.synth_share == 0.0 and not calls
    norm = dict(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))

    def sources(seg_list):  # every 4-frame window of these segments, as tensors, and mirrored
        out = []
        for seg in seg_list:
            crops = store.crops[seg.item][seg.index]
            for off in range(len(crops) - 3):
                out += [crops_to_tensor(crops[off:off + 4], 72, **norm),
                        crops_to_tensor(np.ascontiguousarray(crops[off:off + 4, :, ::-1]), 72, **norm)]
        return out

    fakes, reals = sources(store.fake_segments), sources(store.real_segments)
    for i in range(12):
        clip, label = ds[i]
        assert label.item() == i % 2
        own, other = (fakes, reals) if i % 2 else (reals, fakes)
        assert any(torch.allclose(clip, c, atol=1e-6) for c in own) and not any(torch.allclose(clip, c) for c in other)
    monkeypatch.undo()
    mixed = SynthClips(store, clip_length=4, size=72, length=40, synth_share=0.5)
    calls = []
    real_forge = data.forge_clip
    monkeypatch.setattr(data, "forge_clip", lambda *a, **k: calls.append(1) or real_forge(*a, **k))
    for i in range(1, 40, 2):
        mixed[i]
    assert 3 <= len(calls) <= 17  # about half of the 20 fakes synthesized
    with pytest.raises(ValueError, match="has none"):
        SynthClips(SegmentStore(tiny_cache, "train", labels=(0, 1)), clip_length=4, size=64, length=8, synth_share=0.0)
    with pytest.raises(ValueError, match="synthesized fakes"):
        SynthClips(store, clip_length=4, size=64, length=8, mask_grid=4)


def test_colour_match_keeps_the_fakes_but_takes_their_colour_shift(tiny_cache):
    """With colour_match=1 the same fakes come out, their blended region's mean colour moved to the real face's;
    with 0 (the default) every item is exactly as before."""
    import cv2

    from lda_model.data.forgery import match_blend

    store = SegmentStore(tiny_cache, "train")
    plain = SynthClips(store, clip_length=4, size=64, length=16, seed=3, augment=0.0, mask_grid=8)
    same = SynthClips(store, clip_length=4, size=64, length=16, seed=3, augment=0.0, mask_grid=8, colour_match=0.0)
    matched = SynthClips(store, clip_length=4, size=64, length=16, seed=3, augment=0.0, mask_grid=8, colour_match=1.0)
    changed = 0
    for i in range(1, 16, 2):  # the fakes
        a, b, c = plain[i], same[i], matched[i]
        assert all(torch.equal(x, y) for x, y in zip(a, b))
        assert torch.equal(a[2], c[2])  # the same blend, so the same targets
        changed += not torch.equal(a[0], c[0])
    assert changed >= 4  # most fakes' colours moved (a blend without a colour shift can stay as it was)
    rng = np.random.default_rng(0)
    frame = rng.integers(60, 200, (1, 48, 48, 3)).astype(np.uint8)
    mask = np.zeros((1, 48, 48), np.float32)
    mask[0, 12:36, 12:36] = 1.0
    fake = frame.copy()
    fake[0, 12:36, 12:36] = np.clip(fake[0, 12:36, 12:36].astype(int) + (40, -30, 10), 0, 255)
    out = match_blend(fake, frame, mask)
    lab = [cv2.cvtColor(x[0], cv2.COLOR_RGB2LAB)[12:36, 12:36].reshape(-1, 3).mean(0) for x in (frame, fake, out)]
    assert np.abs(lab[2] - lab[0]).max() < 2 < np.abs(lab[1] - lab[0]).max()  # the shift is gone
    assert np.array_equal(out[0, :12], frame[0, :12])  # outside the mask: the original
    assert np.abs(out.astype(int) - fake).max() > 10  # inside: changed
