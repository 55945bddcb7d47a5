"""train.py: the training CLI, its checkpoints, resume, budget, DDP and the mask loss."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from lda_model import LDADetector
from lda_model.model.detector import LDAOutput
from lda_model.train import check_mask_loss, epochs_in_budget, hardware_name, mask_loss, shard_indices

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--set", "backbone_size=64", "--set", "attention_size=32", "--set", "embed_dim=16", "--set", "latent_dim=8",
        "--set", "num_modules=3"]


def tiny_train_args(cache, out, *extra):
    return ["--preset", "lite", "--data", str(cache), "--out", str(out), "--epochs", "2", "--epoch-size", "16",
            "--val-size", "8", "--batch-size", "4", "--workers", "0", *TINY, *extra]


def run_train(args, env_extra=None, launcher=None):
    env = {**os.environ, **(env_extra or {})}
    cmd = launcher or [sys.executable, "-m", "lda_model.train"]
    return subprocess.run(cmd + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_shard_indices_keep_pairs_and_balance():
    assert shard_indices(9, 0, 1) == list(range(8))
    r0, r1 = shard_indices(10, 0, 2), shard_indices(10, 1, 2)
    assert r0 == [0, 1, 4, 5] and r1 == [2, 3, 6, 7]  # equal lengths, no item twice, pair 4 dropped
    for shard in (r0, r1):
        assert [i % 2 for i in shard] == [0, 1] * (len(shard) // 2)  # every rank sees reals and fakes


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
    with pytest.raises(ValueError, match="attention branch or a forgery-map head"):
        mask_loss(LDAOutput(logits=torch.zeros(2)), target)


def test_mask_loss_teaches_the_forgery_map_where_the_blend_is():
    target = torch.zeros(2, 4, 3, 3)
    target[1, 0, 0, 0] = 1.0  # frame t of sample 1 blended in patch (0, 0)
    def head_out(level):
        fmap = torch.full((2, 3, 3), 0.1)
        fmap[1, 0, 0] = level
        return LDAOutput(logits=torch.zeros(2), forgery_map=fmap)
    assert mask_loss(head_out(0.9), target) < mask_loss(head_out(0.1), target)  # a head alone is enough


def test_mask_loss_is_refused_without_sigmoid_attention_or_a_forgery_map_head(tiny_config):
    check_mask_loss(tiny_config, 1.0)  # the lite preset: sigmoid attention
    check_mask_loss(tiny_config.replace(use_spatial=False, use_temporal=False), 0.0)  # no mask loss asked: fine
    for cfg in (tiny_config.replace(use_spatial=False, use_temporal=False), tiny_config.replace(activation="softmax")):
        with pytest.raises(SystemExit, match="--mask-loss needs"):
            check_mask_loss(cfg, 1.0)
    check_mask_loss(tiny_config.replace(use_spatial=False, use_temporal=False, mask_head_from=2), 1.0)


def test_hardware_name_states_threads_and_processes():
    assert hardware_name(torch.device("cpu"), 1) == f"{torch.get_num_threads()} CPU threads"
    assert hardware_name(torch.device("cpu"), 2).endswith("CPU threads x 2 processes")


def test_a_cache_of_smaller_crops_than_the_input_is_warned_about():
    from lda_model.train import upscale_warning

    assert upscale_warning(160, 160, "cache/x") is None and upscale_warning(224, 160, "cache/x") is None
    note = upscale_warning(160, 398, "cache/ffpp")
    assert "160-px" in note and "398 px" in note and "--crop 398" in note


def test_training_on_a_cache_of_smaller_crops_warns_once(tiny_cache, tiny_config, capsys):
    from lda_model.train import make_datasets

    args = dict(epoch_size=4, val_size=4, seed=0, mask_loss=False, synth_share=None, regions="whole")
    make_datasets(str(tiny_cache), tiny_config, **args)  # 72-px crops, a 64-px input
    assert "warning" not in capsys.readouterr().err
    make_datasets(str(tiny_cache), tiny_config.replace(backbone_size=96), **args)
    assert capsys.readouterr().err.count("72-px crops, the model takes 96 px") == 1


def test_an_init_from_another_architecture_is_warned_about():
    from lda_model.train import init_warning

    assert init_warning(3, 300, "assets/weights/default") is None and init_warning(150, 300, "x") is None
    note = init_warning(290, 300, "assets/weights/default")
    assert "only 10 of 300 tensors" in note and "assets/weights/default" in note and "--preset" in note


def test_freeze_except_trains_only_the_named_part_and_keeps_batchnorm_statistics(tiny_config):
    from lda_model.train import freeze_except

    model = LDADetector(tiny_config.replace(mask_head_from=2)).train()
    assert freeze_except(model, ["mask_head"]) == model.num_parameters("mask_head")
    assert model.training and model.mask_head.training and not model.backbone.training
    assert all(not m.training for m in model.backbone.modules())
    before = {k: v.clone() for k, v in model.state_dict().items() if not k.startswith("mask_head.")}
    clip = torch.randn(2, tiny_config.clip_length, 3, tiny_config.backbone_size, tiny_config.backbone_size)
    out = model(clip)
    g = tiny_config.grid_size
    (out.logits.sum() + mask_loss(out, torch.zeros(2, tiny_config.clip_length, g, g))).backward()
    grads = {n for n, p in model.named_parameters() if p.grad is not None}
    assert grads and all(n.startswith("mask_head.") for n in grads)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())  # running statistics too
    with pytest.raises(ValueError, match="no parameter"):
        freeze_except(model, ["mask_hea"])  # a prefix of a name is not a module path


@pytest.mark.slow
def test_train_only_the_head_on_a_finished_detector(tiny_cache, tmp_path):
    from safetensors.torch import load_file

    base = tmp_path / "base"
    assert run_train(tiny_train_args(tiny_cache, base, "--max-steps", "2")).returncode == 0
    head = tmp_path / "head"
    res = run_train(tiny_train_args(tiny_cache, head, "--init", str(base / "best"), "--set", "mask_head_from=2",
                                    "--train-only", "mask_head", "--mask-loss", "1.0", "--optimizer", "adamw"))
    assert res.returncode == 0 and "training only mask_head" in res.stdout, res.stderr[-2000:]
    start, end = load_file(str(base / "best" / "model.safetensors")), load_file(str(head / "best" / "model.safetensors"))
    assert all(torch.equal(v, end[k]) for k, v in start.items())  # every detector weight and statistic as it was
    assert {k for k in end if k not in start} and all(k.startswith("mask_head.") for k in end if k not in start)
    records = [json.loads(x) for x in (head / "metrics.jsonl").read_text().splitlines()]
    assert records[0]["val_auc"] == records[1]["val_auc"]  # the score did not move: the tie keeps the later epoch
    assert torch.equal(end["mask_head.fuse.5.weight"], load_file(str(head / "last" / "model.safetensors"))["mask_head.fuse.5.weight"])
    card = released_card(head, "head", tiny_cache, tmp_path)
    assert f"Stage 1, the detector (`{base}`)" in card and "only `mask_head` trained (`--train-only`)" in card
    assert "(the forgery-map head's prediction per patch taught" in card  # the frozen LDA modules learnt nothing
    assert "a forgery-map head on backbone stages 2 on" in card
    from lda_model.release.cards import read_training

    both = read_training(tmp_path / "w" / "head")  # both stages, from where the first began: 1 epoch of 2 steps,
    assert (both["init"], both["epochs"], both["clips"]) == ("scratch", 3, 8 + 32)  # then 2 epochs of 4 steps, 4 clips each
    res = run_train(tiny_train_args(tiny_cache, tmp_path / "bad", "--train-only", "nothing"))
    assert res.returncode != 0 and "no parameter of the model" in res.stderr


@pytest.mark.slow
def test_train_with_mask_loss(tiny_cache, tmp_path):
    out = tmp_path / "mask"
    res = run_train(tiny_train_args(tiny_cache, out, "--max-steps", "2", "--mask-loss", "1.0"))
    assert res.returncode == 0, res.stderr[-2000:]
    record = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])
    assert record["train_mask_loss"] > 0 and record["step"] == 2
    assert "mask loss weight 1.0" in released_card(out, "mask", tiny_cache, tmp_path)
    res = run_train(tiny_train_args(tiny_cache, tmp_path / "bad", "--mask-loss", "1", "--no-spatial", "--no-temporal"))
    assert res.returncode != 0 and "needs an attention branch" in res.stderr
    res = run_train(tiny_train_args(tiny_cache, tmp_path / "head", "--max-steps", "1", "--mask-loss", "1", "--no-spatial",
                                    "--no-temporal", "--set", "mask_head_from=1"))
    assert res.returncode == 0, res.stderr[-2000:]  # a forgery-map head is enough to teach


@pytest.mark.slow
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
    from lda_model.release.ship import main as release_main

    dest = tmp_path / "weights"
    assert release_main(["--run", str(out), "--name", "tiny", "--data", str(tiny_cache), "--out", str(dest)]) == 0
    card = (dest / "tiny" / "README.md").read_text()
    assert "model-index" in card and f"--weights {dest / 'tiny'}" in card  # not bundled: named by path
    assert "synthetic-test-segments" in card and "synthetic-val" in card and "--split val" in card
    assert "| test | 1 | 1 | 0 |" in card  # one held-out clip identity, no photo (split table)
    assert "video_auc_ci95" in card and '"videos"' not in card  # the per-video scores stay out of the card
    assert LDADetector.from_pretrained(dest / "tiny").config == model.config
    # how it trained is metadata the cards table reads back: 2 epochs of 4 steps of the tiny batch, from scratch
    from lda_model.release.cards import read_training, training_text

    training = read_training(dest / "tiny")
    assert training["init"] == "scratch" and training["epochs"] == 2
    assert training["clips"] == 8 * json.loads((out / "last" / "train_state.json").read_text())["args"]["batch_size"]
    assert training_text(training) == "2 ep from scratch"


def test_epochs_in_budget():
    assert epochs_in_budget(600, 100, 0, 20) == 6  # six 100 s epochs fit in 10 minutes
    assert epochs_in_budget(600, 100, 0, 4) == 4  # never more than asked for
    assert epochs_in_budget(50, 100, 0, 20) == 1  # the first epoch is done whatever the budget
    assert epochs_in_budget(600, 100, 5, 20) == 11  # after a resume: counted from where this run started
    assert epochs_in_budget(600, 0, 0, 20) == 20


@pytest.mark.slow
def test_train_time_budget_ends_early(tiny_cache, tmp_path):
    out = tmp_path / "budget"
    res = run_train(tiny_train_args(tiny_cache, out, "--epochs", "5", "--cosine", "--time-budget", "0.0001"))
    assert res.returncode == 0, res.stderr[-2000:]
    assert "time budget 0.0001 min: 1 epochs of 5" in res.stdout
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [0] and records[0]["hardware"].endswith("CPU threads")
    card = released_card(out, "budget", tiny_cache, tmp_path)
    assert "1 epochs" in card and "CPU threads" in card and "`--time-budget 0.0001` minutes" in card and "of 5 asked" in card


@pytest.mark.slow
def test_train_variant_from_init(tiny_cache, tmp_path):
    base = tmp_path / "base"
    assert run_train(tiny_train_args(tiny_cache, base, "--max-steps", "1")).returncode == 0
    # --resume on an empty OUT still starts from --init (a resumable fine-tune command)
    res = run_train(tiny_train_args(tiny_cache, tmp_path / "m2", "--num-maps", "2", "--init", str(base / "last"),
                                    "--max-steps", "1", "--resume"))
    assert res.returncode == 0, res.stderr[-2000:]
    assert "spatial.combine.weight" in res.stdout and "backbone" not in res.stdout.split("fresh:")[1].split("]")[0]
    assert LDADetector.from_pretrained(tmp_path / "m2" / "last").config.num_maps == 2
    from lda_model.release.ship import load_run, training_summary  # the card names the run it started from

    assert training_summary(*load_run(tmp_path / "m2"))["init"] == "base" and training_summary(*load_run(base))["init"] == "scratch"


@pytest.mark.slow
def test_ddp_two_cpu_processes(tiny_cache, tmp_path):
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29533",
                "-m", "lda_model.train"]
    res = run_train(tiny_train_args(tiny_cache, tmp_path / "ddp", "--max-steps", "2"), launcher=launcher,
                    env_extra={"OMP_NUM_THREADS": "1"})
    assert res.returncode == 0, res.stderr[-3000:]
    lines = (tmp_path / "ddp" / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["step"] == 2


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


def released_card(run, name, cache, tmp_path) -> str:
    """`release` a tiny run under tmp_path/w and return its model card."""
    from lda_model.release.ship import main as release_main

    assert release_main(["--run", str(run), "--name", name, "--data", str(cache), "--out", str(tmp_path / "w")]) == 0
    return (tmp_path / "w" / name / "README.md").read_text()


@pytest.mark.slow
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


def test_release_reports_generated_heads_only_when_the_labels_hold_them(tmp_path):
    from lda_model.release.ship import GENERATED_GROUP, generated_eval_args, generated_limit, measured_line

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


def test_a_non_finite_loss_stops_the_epoch_and_names_its_step(tiny_config):
    import torch

    from lda_model import LDADetector
    from lda_model.train import NonFiniteLoss, Step, run_epoch

    model = LDADetector(tiny_config)
    with torch.no_grad():
        model.head.bias.fill_(float("nan"))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    step = Step(model, opt, torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0),
                torch.amp.GradScaler("cuda", enabled=False), torch.device("cpu"), 0.0)
    clip = torch.randn(2, tiny_config.clip_length, 3, tiny_config.backbone_size, tiny_config.backbone_size)
    with pytest.raises(NonFiniteLoss, match="at step 7"):
        run_epoch(step, [(clip, torch.tensor([0.0, 1.0]))], epoch=0, step=7, world=1, max_steps=None, verbose=False)


def test_backbone_lr_scale_gives_the_backbone_its_own_rate_and_survives_a_resume(tiny_config, tiny_cache, tmp_path):
    from lda_model.train import make_optimizer

    model = LDADetector(tiny_config)
    opt = make_optimizer(model, "adamw", 1e-3, 0.9, 0.01, backbone_lr_scale=0.1)
    rest, backbone = opt.param_groups
    assert rest["lr"] == rest["initial_lr"] == 1e-3 and abs(backbone["lr"] - 1e-4) < 1e-12
    names = {id(p): n for n, p in model.named_parameters()}
    assert all(names[id(p)].startswith("backbone.") for p in backbone["params"])
    assert not any(names[id(p)].startswith("backbone.") for p in rest["params"])
    assert len(rest["params"]) + len(backbone["params"]) == len(list(model.parameters()))  # every tensor, once
    out = tmp_path / "run"
    args = ("--max-steps", "4", "--optimizer", "adamw", "--cosine", "--backbone-lr-scale", "0.1")
    assert run_train(tiny_train_args(tiny_cache, out, *args)).returncode == 0
    res = run_train(tiny_train_args(tiny_cache, out, "--resume", "--optimizer", "adamw", "--cosine", "--backbone-lr-scale", "0.1"))
    assert res.returncode == 0 and "resumed at epoch 1, step 4" in res.stdout, res.stderr[-2000:]
    saved = json.loads((out / "last" / "train_state.json").read_text())["args"]
    assert saved["backbone_lr_scale"] == 0.1  # in the run's arguments, for its model card
