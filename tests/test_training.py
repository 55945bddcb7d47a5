"""prepare -> train (resume, DDP on CPU) -> evaluate, on a tiny cache made from generated clips."""

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from lda_model import LDADetector
from lda_model.data import SegmentStore, SynthClips, augment_clip, degrade_frame, mask_to_grid
from lda_model.evaluate import attention_rise
from lda_model.metrics import binary_metrics
from lda_model.prepare import assign_splits, clip_splits, index_splits
from lda_model.synthetic import animate, load_face_photo, write_video
from lda_model.model import LDAOutput
from lda_model.train import epochs_in_budget, mask_loss, shard_indices

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--set", "backbone_size=64", "--set", "attention_size=32", "--set", "embed_dim=16", "--set", "latent_dim=8",
        "--set", "num_modules=3"]


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
    from lda_model.prepare import main as prepare_main

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


def test_dataset_balanced_and_deterministic(tiny_cache):
    store = SegmentStore(tiny_cache, "train")
    ds = SynthClips(store, clip_length=4, size=64, length=8, seed=1)
    clip, label = ds[3]
    assert clip.shape == (4, 3, 64, 64) and label.item() == 1.0 and ds[2][1].item() == 0.0
    assert torch.equal(ds[3][0], clip)  # same (seed, epoch, i): same sample
    ds.set_epoch(1)
    assert not torch.equal(ds[3][0], clip)
    assert -1.01 <= clip.min() and clip.max() <= 1.01


def test_image_share_draws_photos_and_clips_by_kind(tiny_cache):
    store = SegmentStore(tiny_cache, "train")  # two clips of 3 segments each and one photo (1 segment)

    def kinds(share, draws=400):
        ds = SynthClips(store, clip_length=4, size=64, length=8, seed=1, image_share=share)
        rng = np.random.default_rng(0)
        return [store.kinds[ds.pick_segment(rng).item] for _ in range(draws)]

    assert set(kinds(1.0)) == {"image"} and set(kinds(0.0)) == {"video"}
    assert 0.4 < kinds(0.5).count("image") / 400 < 0.6
    assert kinds(None).count("image") / 400 < 0.3  # uniform over segments: 1 in 7
    # the default draws exactly as before the option existed: one integer per pick
    ds, rng = SynthClips(store, clip_length=4, size=64, length=8, seed=1), np.random.default_rng(3)
    assert [ds.pick_segment(rng) for _ in range(5)] == [store.segments[int(i)] for i in np.random.default_rng(3).integers(len(store.segments), size=5)]
    clip, label = SynthClips(store, clip_length=4, size=64, length=8, seed=1, image_share=1.0)[3]
    assert clip.shape == (4, 3, 64, 64) and label.item() == 1.0
    with pytest.raises(ValueError, match="has none"):  # the val split holds no photo
        SynthClips(SegmentStore(tiny_cache, "val"), clip_length=4, size=64, length=8, image_share=0.5)
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        SynthClips(store, clip_length=4, size=64, length=8, image_share=1.5)


def test_epoch_sampler_feeds_persistent_workers_the_epoch(tiny_cache):
    from torch.utils.data import DataLoader

    from lda_model.data import EpochSampler

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


def test_paired_dataset_forges_the_real_next_to_it(tiny_cache):
    store = SegmentStore(tiny_cache, "train")
    paired = SynthClips(store, clip_length=4, size=64, length=8, seed=1, paired=True)
    (real, lr), (fake, lf) = paired[2], paired[3]
    assert (lr.item(), lf.item()) == (0.0, 1.0)
    assert torch.equal(paired[3][0], fake)  # still a pure function of (seed, epoch, i)
    # same frames and augmentation: pixels differ only where the forgery blended, not everywhere
    changed = ((real - fake).abs().amax(dim=(0, 1)) > 0.02).float().mean().item()
    assert 0.0 < changed < 0.8
    # unpaired neighbours are unrelated clips: nearly every pixel differs
    unpaired = SynthClips(store, clip_length=4, size=64, length=8, seed=1)
    assert ((unpaired[2][0] - unpaired[3][0]).abs().amax(dim=(0, 1)) > 0.02).float().mean().item() > 0.8
    assert not torch.equal(paired[0][0], real)  # another pair, another source


def test_shard_indices_keep_pairs_and_balance():
    assert shard_indices(9, 0, 1) == list(range(8))
    r0, r1 = shard_indices(10, 0, 2), shard_indices(10, 1, 2)
    assert r0 == [0, 1, 4, 5] and r1 == [2, 3, 6, 7]  # equal lengths, no item twice, pair 4 dropped
    for shard in (r0, r1):
        assert [i % 2 for i in shard] == [0, 1] * (len(shard) // 2)  # every rank sees reals and fakes


def test_augment_is_shared_by_all_frames():
    frames = np.repeat(load_face_photo()[None, :128, :128], 3, 0)
    out = augment_clip(frames, 64, np.random.default_rng(0))
    assert out.shape == (3, 64, 64, 3)
    assert np.array_equal(out[0], out[1]) and np.array_equal(out[1], out[2])


def sharpness(img: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2GRAY), cv2.CV_64F).var())


def test_degrade_frame_keeps_the_size_and_removes_detail_or_light():
    face = np.ascontiguousarray(load_face_photo()[:160, :128])
    for kind, amount in (("blur", 1.0), ("resample", 48)):
        out = degrade_frame(face, kind, amount)
        assert out.shape == face.shape and out.dtype == np.uint8
        assert sharpness(out) < 0.6 * sharpness(face)
    dark = degrade_frame(face, "dark", 0.5)
    assert dark.shape == face.shape and dark.mean() == pytest.approx(0.5 * face.mean(), abs=1.0)
    with pytest.raises(ValueError, match="unknown degradation"):
        degrade_frame(face, "sharpen", 1.0)


def test_augment_degrade_damages_whole_clips_only_when_asked(tiny_cache):
    frames = np.repeat(load_face_photo()[None, :128, :128], 3, 0)
    ratios = []
    for seed in range(8):
        plain = augment_clip(frames, 96, np.random.default_rng(seed))
        assert np.array_equal(augment_clip(frames, 96, np.random.default_rng(seed), degrade=0.0), plain)
        out = augment_clip(frames, 96, np.random.default_rng(seed), degrade=1.0)
        assert np.array_equal(out[0], out[2])  # the same degradation on every frame
        # the other draws come first and are unchanged, so the clip differs from `plain` only by the damage:
        # blur and resampling remove detail, underexposure light (and with it detail)
        ratios.append(sharpness(out[0]) / sharpness(plain[0]))
    assert max(ratios) < 1.0 and np.mean(ratios) < 0.7  # always less detail, on average much less
    with pytest.raises(ValueError, match="degrade must be in"):
        SynthClips(SegmentStore(tiny_cache, "train"), clip_length=4, size=64, length=8, degrade=1.5)


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


def test_mask_loss_rewards_activations_on_the_blend():
    target = torch.zeros(2, 4, 3, 3)
    target[1, :, 0, 0] = 1.0  # sample 1 is a fake blended in patch (0, 0)
    def out_with(level):  # modules active at `level` on that patch, 0.1 elsewhere
        act = torch.full((2, 5, 4, 3, 3), 0.1)
        act[1, :, :, 0, 0] = level
        return LDAOutput(logits=torch.zeros(2), spatial_activations=act[:, :, 0], temporal_activations=act)
    assert mask_loss(out_with(0.9), target) < mask_loss(out_with(0.1), target)
    spatial_only = out_with(0.9)
    spatial_only.temporal_activations = None
    assert torch.isfinite(mask_loss(spatial_only, target))
    with pytest.raises(ValueError, match="attention branch"):
        mask_loss(LDAOutput(logits=torch.zeros(2)), target)


def test_train_with_mask_loss(tiny_cache, tmp_path):
    out = tmp_path / "mask"
    res = run_train(tiny_train_args(tiny_cache, out, "--max-steps", "2", "--mask-loss", "1.0"))
    assert res.returncode == 0, res.stderr[-2000:]
    record = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])
    assert record["train_mask_loss"] > 0 and record["step"] == 2
    assert "mask loss weight 1.0" in released_card(out, "mask", tiny_cache, tmp_path)
    res = run_train(tiny_train_args(tiny_cache, tmp_path / "bad", "--mask-loss", "1", "--no-spatial", "--no-temporal"))
    assert res.returncode != 0 and "needs an attention branch" in res.stderr


def test_train_image_share(tiny_cache, tmp_path):
    # the tiny cache's val split holds no photo: a clear error, no traceback, nothing trained
    res = run_train(tiny_train_args(tiny_cache, tmp_path / "bad", "--image-share", "0.5"))
    assert res.returncode != 0 and "error: image_share=0.5 draws image items" in res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "bad" / "metrics.jsonl").exists()
    # all clips (share 0) works on it, and the card says how sources were drawn
    out = tmp_path / "clips"
    res = run_train(tiny_train_args(tiny_cache, out, "--max-steps", "2", "--image-share", "0"))
    assert res.returncode == 0, res.stderr[-2000:]
    card = released_card(out, "clips", tiny_cache, tmp_path)
    assert "photo item's segment with probability 0.0" in card
    assert "can score as fakes" in card and "benchmarks.degradations" in card  # trained without --degrade


def test_train_degrade_is_in_the_card(tiny_cache, tmp_path):
    out = tmp_path / "soft"
    res = run_train(tiny_train_args(tiny_cache, out, "--max-steps", "2", "--degrade", "0.5"))
    assert res.returncode == 0, res.stderr[-2000:]
    card = released_card(out, "soft", tiny_cache, tmp_path)
    assert "whole clips degraded with probability 0.5" in card
    assert "move its score less" in card and "can score as fakes" not in card  # its Limits say what it saw


def released_card(run, name, cache, tmp_path) -> str:
    """`release` a tiny run under tmp_path/w and return its model card."""
    from lda_model.release import main as release_main

    assert release_main(["--run", str(run), "--name", name, "--data", str(cache), "--out", str(tmp_path / "w")]) == 0
    return (tmp_path / "w" / name / "README.md").read_text()


def tiny_train_args(cache, out, *extra):
    return ["--preset", "lite", "--data", str(cache), "--out", str(out), "--epochs", "2", "--epoch-size", "16",
            "--val-size", "8", "--batch-size", "4", "--workers", "0", *TINY, *extra]


def run_train(args, env_extra=None, launcher=None):
    env = {**os.environ, **(env_extra or {})}
    cmd = launcher or [sys.executable, "-m", "lda_model.train"]
    return subprocess.run(cmd + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_train_checkpoints_and_resumes(tiny_cache, tmp_path):
    out = tmp_path / "run"
    res = run_train(tiny_train_args(tiny_cache, out, "--max-steps", "4"))
    assert res.returncode == 0, res.stderr[-2000:]
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in lines] == [0] and lines[0]["step"] == 4
    assert {"val_acc", "val_auc", "train_loss"} <= set(lines[0])
    assert (out / "last" / "model.safetensors").exists() and (out / "last" / "train_state.safetensors").exists()
    model = LDADetector.from_pretrained(out / "last")
    assert model.config.backbone_size == 64  # the tiny test config
    # resume runs the remaining epoch only, continuing the step count
    res = run_train(tiny_train_args(tiny_cache, out, "--resume"))
    assert res.returncode == 0, res.stderr[-2000:]
    assert "resumed at epoch 1, step 4" in res.stdout
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in lines] == [0, 1] and lines[1]["step"] == 8
    # release: fp16 weights + a card whose numbers come from the evaluation it ran
    from lda_model.release import main as release_main

    dest = tmp_path / "weights"
    assert release_main(["--run", str(out), "--name", "tiny", "--data", str(tiny_cache), "--out", str(dest)]) == 0
    card = (dest / "tiny" / "README.md").read_text()
    assert "model-index" in card and f"--weights {dest / 'tiny'}" in card  # not bundled: named by path
    assert "synthetic-test-segments" in card and "synthetic-val" in card and "--split val" in card
    assert "| test | 1 | 1 | 0 |" in card  # one held-out clip identity, no photo (split table)
    assert "video_auc_ci95" in card and '"videos"' not in card  # the per-video scores stay out of the card
    assert LDADetector.from_pretrained(dest / "tiny").config == model.config
    # how it trained is metadata the cards table reads back: 2 epochs of 4 steps of the tiny batch, from scratch
    from lda_model.cards import read_training, training_text

    training = read_training(dest / "tiny")
    assert training["init"] == "scratch" and training["epochs"] == 2
    assert training["clips"] == 8 * json.loads((out / "last" / "train_state.json").read_text())["args"]["batch_size"]
    assert training_text(training) == "2 ep from scratch"


def test_train_ema_validates_the_average_and_resumes_it(tiny_cache, tmp_path):
    from safetensors.torch import load_file

    out = tmp_path / "ema"
    res = run_train(tiny_train_args(tiny_cache, out, "--max-steps", "3", "--ema", "0.5", "--lr", "1e-2"))
    assert res.returncode == 0, res.stderr[-2000:]
    raw = LDADetector.from_pretrained(out / "last").state_dict()
    best = LDADetector.from_pretrained(out / "best").state_dict()
    state = load_file(str(out / "last" / "train_state.safetensors"))
    assert int(state["ema::n_averaged"]) == 3
    key = "head.fc.weight" if "head.fc.weight" in raw else next(k for k in raw if k.endswith("weight"))
    # best/ holds the average (3 steps, decay 0.5), which differs from the raw last weights
    assert torch.allclose(best[key], state[f"ema::module.{key}"].float(), atol=1e-3)
    assert not torch.allclose(best[key], raw[key])
    # ... while its BatchNorm statistics are the live ones of that step, not an average of past ones
    stats = [k for k in raw if k.endswith("running_var")]
    assert stats and all(torch.equal(best[k], raw[k]) for k in stats)
    res = run_train(tiny_train_args(tiny_cache, out, "--ema", "0.5", "--lr", "1e-2", "--resume"))
    assert res.returncode == 0, res.stderr[-2000:]
    state = load_file(str(out / "last" / "train_state.safetensors"))
    assert int(state["ema::n_averaged"]) == 3 + 4  # continued, not restarted
    assert "an EMA of the weights, decay 0.5" in released_card(out, "ema", tiny_cache, tmp_path)


def test_epochs_in_budget():
    assert epochs_in_budget(600, 100, 0, 20) == 6  # six 100 s epochs fit in 10 minutes
    assert epochs_in_budget(600, 100, 0, 4) == 4  # never more than asked for
    assert epochs_in_budget(50, 100, 0, 20) == 1  # the first epoch is done whatever the budget
    assert epochs_in_budget(600, 100, 5, 20) == 11  # after a resume: counted from where this run started
    assert epochs_in_budget(600, 0, 0, 20) == 20


def test_train_time_budget_ends_early(tiny_cache, tmp_path):
    out = tmp_path / "budget"
    res = run_train(tiny_train_args(tiny_cache, out, "--epochs", "5", "--cosine", "--time-budget", "0.0001"))
    assert res.returncode == 0, res.stderr[-2000:]
    assert "time budget 0.0001 min: 1 epochs of 5" in res.stdout
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [0] and records[0]["hardware"].endswith("CPU threads")
    card = released_card(out, "budget", tiny_cache, tmp_path)
    assert "1 epochs" in card and "CPU threads" in card and "`--time-budget 0.0001` minutes" in card and "of 5 asked" in card


def test_train_variant_from_init(tiny_cache, tmp_path):
    base = tmp_path / "base"
    assert run_train(tiny_train_args(tiny_cache, base, "--max-steps", "1")).returncode == 0
    # --resume on an empty OUT still starts from --init (a resumable fine-tune command)
    res = run_train(tiny_train_args(tiny_cache, tmp_path / "m2", "--num-maps", "2", "--init", str(base / "last"),
                                    "--max-steps", "1", "--resume"))
    assert res.returncode == 0, res.stderr[-2000:]
    assert "spatial.combine.weight" in res.stdout and "backbone" not in res.stdout.split("fresh:")[1].split("]")[0]
    assert LDADetector.from_pretrained(tmp_path / "m2" / "last").config.num_maps == 2
    from lda_model.release import load_run, training_summary  # the card names the run it started from

    assert training_summary(*load_run(tmp_path / "m2"))["init"] == "base" and training_summary(*load_run(base))["init"] == "scratch"


def test_ddp_two_cpu_processes(tiny_cache, tmp_path):
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29533",
                "-m", "lda_model.train"]
    res = run_train(tiny_train_args(tiny_cache, tmp_path / "ddp", "--max-steps", "2", "--paired"), launcher=launcher,
                    env_extra={"OMP_NUM_THREADS": "1"})
    assert res.returncode == 0, res.stderr[-3000:]
    lines = (tmp_path / "ddp" / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["step"] == 2


def test_evaluate_synthetic_and_localization(tiny_cache, tiny_weights, face_clip):
    env = {**os.environ}
    res = subprocess.run([sys.executable, "-m", "lda_model.evaluate", "synthetic", "--data", str(tiny_cache),
                          "--weights", str(tiny_weights), "--json"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    rec = json.loads(res.stdout)
    assert rec["items"] == 1 and rec["video"]["n"] == 2 and 0 <= rec["video"]["auc"] <= 1
    # every video score, for lda_model.compare: the item's real (seed None) and its fake
    assert [(v["item"], v["seed"], v["label"]) for v in rec["videos"]] == [("clip3", None, 0), ("clip3", 0, 1)]
    ci = rec["video_auc_ci95"]  # one identity: every resample is the whole split, so no spread
    assert ci["lo"] == ci["hi"] == pytest.approx(rec["video"]["auc"], abs=1e-4) and ci["draws"] == 2000
    index = json.loads((tiny_cache / "index.json").read_text())
    segments = sum(v["segments"] for v in index.values() if v["split"] == "test")
    assert segments > 1 and rec["identities"] == 1
    assert rec["segment"]["n"] == 2 * segments and rec["segment"]["n_fake"] == segments  # each scored alone
    by_change = rec["segment_by_pixel_change"]
    assert len(by_change) == 3 and sum(b["n"] for b in by_change) == segments
    assert all(b["n"] == 0 or b["range"][0] <= b["mean_value"] <= b["range"][1] for b in by_change)
    by_source = rec["video_by_source"]  # the tiny cache's test split holds one clip item, no photo
    assert set(by_source) == {"clip"} and by_source["clip"]["n"] == 2 and by_source["clip"]["n_fake"] == 1
    assert sum(g["n"] for g in rec["video_by_quality"].values()) == 2 and set(rec["video_by_quality"]) <= {"ok", "cautioned"}
    (real_name, _), = rec["hardest_reals"]
    (fake_name, _), = rec["hardest_fakes"]
    assert real_name == "clip3" and fake_name.startswith("clip3 seed 0: ")  # the test item, by name
    blend = rec["blend_attention"]  # the tiny model has both branches: module activations and gating maps
    assert set(blend) == {"activations", "maps"}
    assert all(0 < b["segments"] <= segments and b["patches"] >= b["segments"] and 0 <= b["rise_rate"] <= 1
               for b in blend.values())
    # --seeds 2: the real scored once, forged twice; pooled AUC = mean of the per-seed AUCs
    res = subprocess.run([sys.executable, "-m", "lda_model.evaluate", "synthetic", "--data", str(tiny_cache),
                          "--weights", str(tiny_weights), "--seed", "5", "--seeds", "2", "--json"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    two = json.loads(res.stdout)
    assert two["seeds"] == [5, 6] and set(two["video_auc_by_seed"]) == {"5", "6"}
    assert two["video"]["n"] == 3 and two["video"]["n_fake"] == 2
    assert two["segment"]["n"] == 3 * segments and two["segment"]["n_fake"] == 2 * segments
    assert two["video"]["auc"] == pytest.approx(np.mean(list(two["video_auc_by_seed"].values())), abs=1e-4)
    assert [v["seed"] for v in two["videos"]] == [None, 5, 6] and len({v["identity"] for v in two["videos"]}) == 1
    res = subprocess.run([sys.executable, "-m", "lda_model.evaluate", "synthetic", "--data", str(tiny_cache),
                          "--weights", str(tiny_weights), "--device", "nonsense"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 2 and "device 'nonsense'" in res.stderr
    res = subprocess.run([sys.executable, "-m", "lda_model.evaluate", "localization", "--videos", str(face_clip),
                          "--weights", str(tiny_weights), "--points", "2", "--json"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    rec = json.loads(res.stdout)
    assert rec["n"] == 6 and set(rec["per_defect"]) == {"blur_mouth", "red_pupil", "distort_mouth"}
    assert 0 <= rec["hit_rate"] <= 1 and 0 < rec["chance"] < 1


def test_hardest_names_the_worst_reals_and_fakes():
    from lda_model.evaluate import hardest

    names = ["a", "a seed 0: x", "b", "b seed 0: y", "c", "c seed 0: z"]
    labels = [0, 1, 0, 1, 0, 1]
    scores = [0.9, 0.2, 0.1, 0.8, 0.5, 0.05]
    out = hardest(names, labels, scores, k=2)
    assert out == {"hardest_reals": [["a", 0.9], ["c", 0.5]], "hardest_fakes": [["c seed 0: z", 0.05], ["a seed 0: x", 0.2]]}


def test_attention_rise_compares_blended_patches_with_the_real():
    blended = np.zeros((3, 2, 2))
    blended[0, 0, 0] = blended[1, 1, 1] = 0.9
    blended[2, 0, 1] = 0.3  # under the threshold: segment 2 does not count
    real = np.full((3, 2, 2), 0.5)
    fake = real.copy()
    fake[0, 0, 0], fake[1, 1, 1] = 0.8, 0.2  # rises on segment 0, drops on segment 1
    fake[0, 1, 1] = 0.99  # a rise outside the blend does not count
    res = attention_rise(fake, real, blended)
    assert (res["segments"], res["patches"], res["rise_rate"]) == (2, 2, 0.5)
    assert res["patch_auc"] == pytest.approx(0.5)  # one above, one below the reals
    fake[1, 1, 1] = 0.7
    assert attention_rise(fake, real, blended)["patch_auc"] == 1.0 and attention_rise(fake, real, blended)["rise_rate"] == 1.0
    assert attention_rise(fake, real, np.zeros((3, 2, 2)))["segments"] == 0


def test_evaluate_detection(tmp_path, tiny_weights, face_clip):
    (tmp_path / "clips").mkdir()
    for k, label in enumerate(["REAL", "FAKE"]):
        write_video(tmp_path / "clips" / f"c{k}.avi", animate(load_face_photo(), 8, size=(192, 192), seed=k))
    (tmp_path / "labels.tsv").write_text("file\tlabel\tgroup\nclips/c0.avi\tREAL\ta\nclips/c1.avi\tFAKE\ta\n"
                                         "clips/missing.avi\tFAKE\ta\n")
    res = subprocess.run([sys.executable, "-m", "lda_model.evaluate", "--weights", str(tiny_weights), "--labels",
                          str(tmp_path / "labels.tsv"), "--points", "3", "--roc", str(tmp_path / "roc.png"), "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    rec = json.loads(res.stdout)
    assert rec["video"]["n"] == 2 and rec["frame"]["n"] == 6 and len(rec["skipped"]) == 1
    ci = rec["video_auc_ci95"]  # one real and one fake clip: a resample holds both (AUC as is) or lacks one class
    assert ci["lo"] == ci["hi"] == round(rec["video"]["auc"], 4) and 0 < ci["draws"] < 2000
    by_group = rec["fakes_by_group"]["a"]  # group a's one fake against the one real clip
    assert by_group["n"] == 2 and by_group["auc"] == rec["video"]["auc"] and by_group["mean_fake"] == rec["clips"][1]["score"]
    assert cv2.imread(str(tmp_path / "roc.png")) is not None


def test_auc_by_quantile_bins_the_fakes():
    from lda_model.metrics import auc_by_quantile

    change = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    fake = np.array([0.1, 0.2, 0.6, 0.7, 0.9, 0.95])  # the more visible, the higher the score
    real = np.array([0.3, 0.4])
    bins = auc_by_quantile(change, fake, real)
    assert [b["n"] for b in bins] == [2, 2, 2]
    assert [b["auc"] for b in bins] == [0.0, 1.0, 1.0]  # low-change fakes rank below every real
    assert bins[0]["mean_value"] == 1.5 and bins[2]["mean_score"] == 0.925
    with pytest.raises(ValueError):
        auc_by_quantile(change, fake[:2], real)


def test_metrics_by_group_splits_samples():
    from lda_model.metrics import metrics_by_group

    groups = ["photo", "photo", "clip", "clip", "photo", "photo"]
    labels = np.array([0, 1, 0, 1, 0, 1])
    scores = np.array([0.2, 0.9, 0.6, 0.4, 0.1, 0.3])
    out = metrics_by_group(groups, labels, scores)
    assert set(out) == {"photo", "clip"}
    assert out["photo"]["n"] == 4 and out["photo"]["auc"] == 1.0 and out["photo"]["mean_fake"] == 0.6
    assert out["clip"]["auc"] == 0.0 and out["clip"]["mean_real"] == 0.6  # the clip pair is ranked wrong
    with pytest.raises(ValueError):
        metrics_by_group(groups[:2], labels, scores)


def test_binary_metrics():
    m = binary_metrics(np.array([0, 0, 1, 1]), np.array([0.1, 0.6, 0.7, 0.9]))
    assert m["acc"] == 0.75 and m["auc"] == 1.0
    assert np.isnan(binary_metrics(np.array([1, 1]), np.array([0.2, 0.9]))["auc"])


def test_init_adapts_temporal_positions_to_another_n(tiny_weights):
    from lda_model.train import init_from

    src = LDADetector.from_pretrained(tiny_weights)
    g2 = src.config.grid_size ** 2
    model = LDADetector(src.config.replace(num_frames=5))
    fresh = init_from(model, str(tiny_weights))
    assert not any("pos_embed" in k for k in fresh)
    new = model.temporal.lda.pos_embed.detach()
    old = src.temporal.lda.pos_embed.detach()
    n_old = old.shape[1] // g2
    torch.testing.assert_close(new[:, : old.shape[1]], old)
    torch.testing.assert_close(new[:, n_old * g2:(n_old + 1) * g2], old[:, -g2:])  # extra step repeats the last


# --- a dataset's own fakes (FaceForensics++-shaped, `datasets` -> `prepare --labels`): the paper's protocol ---

def test_prepare_labels_caches_fakes_with_their_split(labelled_cache, tmp_path):
    import shutil

    from lda_model.prepare import main as prepare_main

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


def test_labelled_fakes_are_drawn_as_they_are(labelled_cache, tiny_cache, monkeypatch):
    import lda_model.data as data
    from lda_model.analysis import crops_to_tensor

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
        SynthClips(store, clip_length=4, size=64, length=8, paired=True)


def test_train_release_and_evaluate_on_labelled_fakes(labelled_cache, tiny_weights, tmp_path):
    out = tmp_path / "run"
    res = run_train(tiny_train_args(labelled_cache, out, "--max-steps", "2"))
    assert res.returncode == 0, res.stderr[-2000:]
    assert "4 real segments, 4 of labelled fakes; a fake is synthesized with probability 0.0" in res.stdout
    card = released_card(out, "tiny_ffpp", labelled_cache, tmp_path)
    assert "**labelled fake** clips of the cache" in card and "| test | 1 | 2 | 0 | 2 (Deepfakes 2) | 8 |" in card
    assert "real faces only" not in card and "labelled-test" in card
    assert "fakes: none, every training fake was a labelled one" in card  # train recorded the effective share
    res = subprocess.run([sys.executable, "-m", "lda_model.evaluate", "synthetic", "--data", str(labelled_cache),
                          "--weights", str(tiny_weights), "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    rec = json.loads(res.stdout)
    assert rec["items"] == 2  # synthesized forgeries are made from the real items only
    lab = rec["labelled_fakes"]
    assert lab["fakes"] == 2 and lab["reals"] == 2 and lab["video"]["n"] == 4 and set(lab["by_group"]) == {"Deepfakes"}


def test_prepare_photo_frames_calms_the_animated_still(tmp_path):
    from lda_model.faces import DEFAULT_MARGIN
    from lda_model.prepare import prepare_image

    path = tmp_path / "still.png"
    cv2.imwrite(str(path), cv2.cvtColor(load_face_photo(), cv2.COLOR_RGB2BGR))
    motion = {}
    for frames in (None, 32):  # the default animates one whole cycle over the 6 kept frames
        crops, lms = prepare_image(path, 6, 72, DEFAULT_MARGIN, seed=1, photo_frames=frames)
        assert crops.shape == (1, 6, 72, 72, 3) and lms.shape == (1, 6, 478, 2)
        motion[frames] = float(np.linalg.norm(np.diff(lms.astype(np.float32), axis=1), axis=-1).mean())
    assert motion[32] < motion[None] / 2  # px per frame: a slow cycle moves the face far less between frames


def test_release_reports_generated_heads_only_when_the_labels_hold_them(tmp_path):
    from lda_model.release import GENERATED_GROUP, generated_eval_args, generated_limit, measured_line

    (tmp_path / "LABELS.tsv").write_text("file\tlabel\tgroup\na.mp4\tREAL\tin_the_wild\nb.mp4\tFAKE\tin_the_wild\n")
    assert generated_eval_args("default", tmp_path, 16) is None  # no generated group: nothing to measure
    with (tmp_path / "LABELS.tsv").open("a") as f:
        f.write(f"c.mp4\tFAKE\t{GENERATED_GROUP}\n")
    args = generated_eval_args("default", tmp_path, 16)
    groups = args[args.index("--groups") + 1].split(",")
    assert groups[0] == GENERATED_GROUP and "in_the_wild" in groups  # the reals come from the real-manipulation groups
    res = {"weights": "default", "skipped": [], "fakes_by_group": {
        GENERATED_GROUP: {"auc": 0.3182, "n": 27, "n_fake": 22, "mean_fake": 0.1435, "detected": 1 / 22}}}
    limit = generated_limit(res)
    assert "22 talking heads" in limit and "AUC 0.32" in limit and "1 of 22 at or above 0.5" in limit
    assert generated_limit(None) == "" and generated_limit({"fakes_by_group": {}}) == ""
    line = measured_line("generated", res, "python -m lda_model.evaluate x")
    assert line.startswith("- **generated**: `{\"fakes_by_group\"") and "skipped" not in line and "python -m" in line


def test_prepare_resplit_fold_holds_out_other_people(tiny_cache, tmp_path):
    from lda_model.prepare import main as prepare_main

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
