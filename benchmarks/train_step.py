"""Training throughput, model and data apart: is a run bound by the model or by forging?

    python -m benchmarks.train_step [--preset lite|paper] [--batch-size 32] [--data cache/real_faces --workers 15] [--json]

Prints, for randomly initialised weights of the preset on this machine's device (a GPU when
there is one, with bf16 autocast as `train` uses it; else the CPU): `infer_clips_per_s` (forward
only, inference mode), `train_clips_per_s` (forward + backward + AdamW step, `train`'s step),
peak GPU memory of the train step, and with `--data` `data_clips_per_s`: how many training
clips (`SynthClips`: forgery synthesis + augmentation, at the preset's backbone size) `--workers`
DataLoader processes deliver in steady state (the batches they prefetch while starting are not
counted: counting them inflated the first H200 reading, README "Speed"). A training run goes at
about the smaller of the last two.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch
import torch.nn.functional as F

from lda_model import LDAConfig, LDADetector


def timed(fn, steps: int, sync) -> float:
    """Seconds per call of `fn` over `steps` calls, after two warm-up calls."""
    for _ in range(2):
        fn()
    sync()
    t0 = time.perf_counter()
    for _ in range(steps):
        fn()
    sync()
    return (time.perf_counter() - t0) / steps


def make_train_step(model: LDADetector, x: torch.Tensor, y: torch.Tensor, optimizer: str = "adamw"):
    """`train`'s step (forward + backward + optimizer step, bf16 autocast when the model is on a GPU)
    on the fixed batch x (B, n+1, 3, S, S), y (B,): a closure for timing."""
    device = next(model.parameters()).device
    amp = device.type == "cuda"
    if optimizer == "adamw":
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)

    def step() -> None:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp):
            out = model(x)
        loss = F.binary_cross_entropy_with_logits(out.logits.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def data_rate(cfg: LDAConfig, data: str, batch: int, workers: int, batches: int) -> float:
    """Training clips per second that `workers` loader processes deliver, steady state: the batches
    the workers prefetch while starting (2 each) are drained first, then `batches` are timed."""
    from torch.utils.data import DataLoader

    from lda_model.data.dataset import SynthClips
    from lda_model.data.store import SegmentStore

    warm = 2 * workers + 1  # DataLoader's default prefetch_factor is 2 per worker
    ds = SynthClips(SegmentStore(data, "train"), cfg.clip_length, cfg.backbone_size, batch * (warm + batches),
                    seed=0, mean=cfg.mean, std=cfg.std)
    it = iter(DataLoader(ds, batch_size=batch, num_workers=workers, pin_memory=torch.cuda.is_available()))
    for _ in range(warm):
        next(it)
    t0, n = time.perf_counter(), 0
    for clip, _ in it:
        n += len(clip)
    return n / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.train_step", description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", choices=["lite", "paper"], default="paper")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--data", default=None, help="a prepare cache: also measure the data pipeline")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--batches", type=int, default=20, help="batches timed for the data pipeline")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    cfg = getattr(LDAConfig, args.preset)()
    model = LDADetector(cfg).to(device)
    x = torch.randn(args.batch_size, cfg.clip_length, 3, cfg.backbone_size, cfg.backbone_size, device=device)
    y = torch.randint(0, 2, (args.batch_size,), device=device).float()
    step = make_train_step(model, x, y)

    def infer():
        with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=cuda):
            model(x)

    model.eval()
    t_infer = timed(infer, args.steps, sync)
    model.train()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    t_step = timed(step, args.steps, sync)
    out = {"preset": args.preset, "device": torch.cuda.get_device_name() if cuda else "cpu",
           "torch": torch.__version__, "batch_size": args.batch_size, "bf16_autocast": cuda,
           "params_m": round(sum(q.numel() for q in model.parameters()) / 1e6, 2),
           "infer_clips_per_s": round(args.batch_size / t_infer, 1),
           "train_clips_per_s": round(args.batch_size / t_step, 1),
           "train_peak_gpu_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None}
    if args.data:
        out["workers"] = args.workers
        out["data_clips_per_s"] = round(data_rate(cfg, args.data, args.batch_size, args.workers, args.batches), 1)
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
