"""Where the time goes: the whole pipeline on generated clips, stage by stage.

    python -m benchmarks.speed [--preset lite0|lite|paper] [--quick] [--json] [--video PATH] [--weights SRC]

Prints, from one run: per-stage time for one clip (decode, face tracking, cropping, model,
plotting), end-to-end and model-only analysed points per second, the LDA overhead (full model
over the same preset with both branches off, same inputs), scaling with clip length (x1, x2,
x4) and with n (2..5), peak resident memory, the machine's fp32 matmul throughput and the
model's FLOPs (so the achieved fraction is printed). `--json` prints one JSON object whose
fields are documented in the README ("Speed"). Randomly initialised weights of the preset
are used unless `--weights` is given (speed does not depend on the values).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from lda_model import LDAConfig, LDADetector
from lda_model.inference.pipeline import (DEFAULT_NUM_POINTS, MODEL_BATCH, PLAN_LENGTH, analyze_video, extract_faces,
                                          run_detector)
from lda_model.inference.faces import FaceDetector, crop_square, crop_window
from lda_model.data.animation import animate, load_face_photo, write_video
from lda_model.inference.video import analysis_points, frames_needed, iter_frames, probe_video

from .train_step import make_train_step


def peak_rss_mb() -> float:
    """This process's resident-memory high-water mark (VmHWM; ru_maxrss would include the parent's)."""
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def timed(fn, *args, repeat: int = 1, **kwargs):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - t)
    return best, out


def cpu_seconds(fn, *args, **kwargs):
    """(user + system CPU seconds of this process across all its threads, result) of one call."""
    t = os.times()
    out = fn(*args, **kwargs)
    u = os.times()
    return (u.user - t.user) + (u.system - t.system), out


def make_clip(folder: Path, seconds: float, size=(1280, 720), fps: float = 30.0, name: str = "clip") -> Path:
    frames = animate(load_face_photo(), int(seconds * fps), size=size, seed=1, amplitude=0.5)
    return write_video(folder / f"{name}_{int(seconds)}s.mp4", frames, fps)


def matmul_gflops(n: int = 2048, repeat: int = 5) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    t, _ = timed(torch.mm, a, b, repeat=repeat)
    return 2 * n**3 / t / 1e9


def peak_matmul_gflops(sizes=(1024, 2048, 4096), rounds: int = 2) -> float:
    """The best fp32 matmul rate seen over a few sizes and rounds: on a shared 2-core VM one
    2048² measurement ranged from 87 to 178 GFLOP/s between runs, so a single one is no ceiling."""
    return max(matmul_gflops(n) for _ in range(rounds) for n in sizes)


def model_flops(model: LDADetector, clip: torch.Tensor) -> float:
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(clip)
    return float(counter.get_total_flops())


@torch.inference_mode()
def model_time(model: LDADetector, clip: torch.Tensor, repeat: int = 3) -> float:
    model(clip)  # warm-up
    t, _ = timed(model, clip, repeat=repeat)
    return t


@torch.inference_mode()
def paired_model_times(a: LDADetector, b: LDADetector, clip: torch.Tensor, repeat: int = 3,
                       rounds: int = 7) -> tuple[float, float, list[float]]:
    """(best time of a, best time of b, a / b of every round) over `rounds` alternating rounds, each
    model's best of `repeat` calls per round. On a shared VM the machine's speed drifts within seconds:
    a ratio of two times taken seconds apart carries the drift, so the ratio is read per round (a and b
    back to back) and summarised by its median."""
    a(clip), b(clip)  # warm-up
    ta, tb, ratios = [], [], []
    for _ in range(rounds):
        ta.append(timed(a, clip, repeat=repeat)[0])
        tb.append(timed(b, clip, repeat=repeat)[0])
        ratios.append(ta[-1] / tb[-1])
    return min(ta), min(tb), ratios


def train_step_time(cfg: LDAConfig, batch: int = 16, repeat: int = 3) -> float:
    """Seconds for one forward + backward + SGD step at `batch` clips (random weights and data)."""
    model = LDADetector(cfg).train()
    clip = torch.randn(batch, cfg.clip_length, 3, cfg.backbone_size, cfg.backbone_size)
    label = torch.randint(0, 2, (batch,)).float()
    step = make_train_step(model, clip, label, optimizer="sgd")
    step()
    return timed(step, repeat=repeat)[0]


def stages(path: Path, model: LDADetector, points: int) -> dict:
    cfg = model.config
    info = probe_video(path)
    pts = analysis_points(info.frame_count, max(cfg.clip_length, PLAN_LENGTH), points)
    need = frames_needed(pts, cfg.clip_length)
    t_decode, frames = timed(lambda: list(iter_frames(path, need)))
    anchors = [f for f in frames if f[0] in set(pts)]
    t0 = time.perf_counter()
    with FaceDetector() as det:
        t1 = time.perf_counter()
        faces = [det.detect(rgb, ts) for _, ts, rgb in anchors]
        t_landmark = time.perf_counter() - t1
    t_track = time.perf_counter() - t0
    windows = [crop_window(f[0].landmarks) for f in faces if f]
    by_index = {i: rgb for i, _, rgb in frames}
    t0 = time.perf_counter()
    crops = np.stack([np.stack([crop_square(by_index[t + k], w, cfg.backbone_size) for k in range(cfg.clip_length)])
                      for t, w in zip(pts, windows)])
    t_crop = time.perf_counter() - t0
    del crops
    # the model as the pipeline runs it (run_detector's batches), on the faces extract_faces found, warm
    c_extract, clip_faces = cpu_seconds(extract_faces, path, cfg.clip_length, cfg.backbone_size, num_points=points)
    run_detector(model, clip_faces)
    t_model, analysis = timed(run_detector, model, clip_faces, repeat=2)
    c_model, _ = cpu_seconds(run_detector, model, clip_faces)
    from app import plots

    p = analysis.tracks[analysis.main_track][0]
    t0 = time.perf_counter()
    if p.spatial_maps is not None:
        plots.attention_maps_figure(p.spatial_maps, p.crop).to_json()
    if p.temporal_maps is not None:
        plots.temporal_maps_figure(p.temporal_maps, p.crops, p.temporal_guide).to_json()
    t_plot = time.perf_counter() - t0
    return {"decode_s": t_decode, "tracking_s": t_track, "landmark_ms_per_frame": 1000 * t_landmark / max(len(anchors), 1),
            "crop_s": t_crop, "model_s": t_model, "plot_s": t_plot,
            # CPU time (user + system, all threads): what overlapping the two stages could at best share
            "extract_faces_cpu_s": c_extract, "model_cpu_s": c_model,
            "points": sum(len(v) for v in clip_faces.tracks.values()), "frames_decoded": len(frames)}


SBI_SIZE = 380  # Self-Blended Images' EfficientNet-B4 input side


@torch.inference_mode()
def sbi_equivalent_seconds(path: Path, points: int) -> float:
    """End-to-end seconds of a Self-Blended-Images-style detector on the same clip: this project's face
    finding at the same analysis points (one frame each), then timm `efficientnet_b4` at 380 px with
    random weights (speed needs no trained weights), batched like `run_detector`."""
    import timm

    net = timm.create_model("efficientnet_b4", pretrained=False, num_classes=1).eval().to(
        memory_format=torch.channels_last)
    net(torch.zeros(1, 3, SBI_SIZE, SBI_SIZE))  # warm

    def run() -> None:
        faces = extract_faces(path, 1, SBI_SIZE, num_points=points)
        crops = [p.crops[0] for v in faces.tracks.values() for p in v]
        for i in range(0, len(crops), 8):
            x = torch.from_numpy(np.stack(crops[i:i + 8])).permute(0, 3, 1, 2).float().div(127.5).sub(1)
            net(x.contiguous(memory_format=torch.channels_last))

    return timed(run, repeat=2)[0]


_LONG = """
import json, sys, time
from pathlib import Path
from lda_model import LDAConfig, LDADetector
from lda_model.inference.pipeline import analyze_video
from lda_model.inference.weights import load_detector
from benchmarks.speed import peak_rss_mb
model = load_detector(sys.argv[3])[0] if sys.argv[3] else LDADetector(getattr(LDAConfig, sys.argv[2])()).for_inference()
t = time.perf_counter()
res = analyze_video(sys.argv[1], model)
print(json.dumps({"seconds": round(time.perf_counter() - t, 2), "faces": len(res.tracks),
                  "peak_rss_mb": peak_rss_mb()}))
"""


def long_clip_memory(preset: str, weights: str | None, seconds: float = 60.0) -> dict:
    """Peak resident memory of a fresh process analysing a 60 s 1080p 30 fps clip (frames are streamed)."""
    import subprocess

    with tempfile.TemporaryDirectory() as tmp:
        photo = load_face_photo()
        path = Path(tmp) / "long_1080p.mp4"
        import cv2

        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (1920, 1080))
        for k in range(0, int(seconds * 30), 30):  # written a second at a time: the writer holds no more
            for f in animate(photo, 30, size=(1920, 1080), seed=k, amplitude=0.3):
                writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
        writer.release()
        root = Path(__file__).resolve().parents[1]
        res = subprocess.run([sys.executable, "-c", _LONG, str(path), preset, weights or ""], cwd=root,
                             capture_output=True, text=True, timeout=1800)
        if res.returncode:
            return {"error": res.stderr[-500:]}
        return json.loads(res.stdout.strip().splitlines()[-1])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", choices=["lite0", "lite", "paper"], default="lite0")
    p.add_argument("--quick", action="store_true", help="shorter clips, fewer repeats")
    p.add_argument("--json", action="store_true")
    p.add_argument("--video", default=None, help="also time this real clip end to end")
    p.add_argument("--weights", default=None)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--memory-clip", action="store_true",
                   help="also analyse a generated 60 s 1080p clip in a fresh process and report its peak memory")
    return p.parse_args(argv)


def load_model(preset: str, weights: str | None) -> LDADetector:
    """The checkpoint `weights`, else the preset with random weights, ready for inference."""
    if weights:
        from lda_model.inference.weights import load_detector

        return load_detector(weights)[0]
    return LDADetector(getattr(LDAConfig, preset)()).for_inference()


def clip_length_scaling(model: LDADetector, folder: Path, seconds: float) -> dict:
    """End-to-end seconds on clips 1, 2 and 4 times `seconds` long, at the default points and at
    the default points times the length."""
    scaling = {}
    for mult in (1, 2, 4):
        c = make_clip(folder, seconds * mult, size=(640, 360), name=f"scale{mult}")
        t, _ = timed(analyze_video, c, model, num_points=DEFAULT_NUM_POINTS)
        t_all, _ = timed(analyze_video, c, model, num_points=DEFAULT_NUM_POINTS * mult)
        scaling[f"x{mult}"] = {"seconds": seconds * mult, "default_points_s": round(t, 3),
                               f"{DEFAULT_NUM_POINTS * mult}_points_s": round(t_all, 3)}
    return scaling


def pipeline_timings(model: LDADetector, seconds: float, video: str | None) -> dict:
    """The whole pipeline on generated clips (and on `video` if given): stages, end to end, the
    Self-Blended-Images-style equivalent and scaling with clip length."""
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clip = make_clip(folder, seconds)
        info = probe_video(clip)
        out["clip"] = {"seconds": seconds, "width": info.width, "height": info.height, "fps": info.fps}
        st = stages(clip, model, DEFAULT_NUM_POINTS)
        out["stages"] = {k: round(v, 4) if isinstance(v, float) else v for k, v in st.items()}
        t_e2e, res = timed(analyze_video, clip, model, num_points=DEFAULT_NUM_POINTS)
        n_pts = sum(len(v) for v in res.tracks.values())
        out["end_to_end_s"] = round(t_e2e, 3)
        out["end_to_end_points_per_s"] = round(n_pts / t_e2e, 2)
        out["model_points_per_s"] = round(st["points"] / st["model_s"], 2)
        out["end_to_end_over_model"] = round(out["end_to_end_points_per_s"] / out["model_points_per_s"], 3)
        # how many times faster than a Self-Blended-Images-style detector on the same clip and points
        out["sbi_equivalent_s"] = round(sbi_equivalent_seconds(clip, DEFAULT_NUM_POINTS), 3)
        out["vs_sbi_equivalent"] = round(out["sbi_equivalent_s"] / t_e2e, 2)
        # scaling with clip length at default settings
        out["scaling"] = clip_length_scaling(model, folder, seconds)
        if video:
            t, r = timed(analyze_video, video, model, num_points=DEFAULT_NUM_POINTS)
            out["real_clip"] = {"path": video, "seconds": round(t, 3), "faces": len(r.tracks)}
    return out


def roofline(model: LDADetector, base: LDADetector, clip: torch.Tensor, ms_per_clip: float) -> tuple[float, dict]:
    """(full-model FLOPs over backbone-only FLOPs, the machine's matmul peak and the model's share of
    it) on `clip`, one clip, with the model measured at `ms_per_clip`."""
    gflops = peak_matmul_gflops()
    flops = model_flops(model, clip)
    # the overhead's arithmetic floor: full-model FLOPs over backbone-only FLOPs
    flops_ratio = round(flops / model_flops(base, clip), 3)
    return flops_ratio, {"matmul_gflops": round(gflops, 1),
                         "model_gflops_per_clip": round(flops / 1e9, 3),
                         "model_ms_at_matmul_peak": round(flops / (gflops * 1e9) * 1000, 2),
                         "model_fraction_of_peak": round(flops / 1e9 / gflops / (ms_per_clip / 1000), 3)}


def model_timings(model: LDADetector, base: LDADetector, batch: int, repeat: int) -> dict:
    """The model alone on random clips: LDA overhead, channels_last, scaling with n, a training step
    and the fraction of the matmul peak achieved."""
    cfg = model.config
    clip_t = torch.randn(batch, cfg.clip_length, 3, cfg.backbone_size, cfg.backbone_size)
    t_full, t_base, ratios = paired_model_times(model, base, clip_t, repeat)
    out: dict = {"lda_overhead": {"full_ms_per_clip": round(1000 * t_full / batch, 2),
                                  "backbone_only_ms_per_clip": round(1000 * t_base / batch, 2),
                                  "ratio": round(float(np.median(ratios)), 3),  # the median of the paired rounds
                                  "ratio_range": [round(min(ratios), 3), round(max(ratios), 3)],
                                  "rounds": len(ratios)}}
    # the same weights in plain (contiguous) memory order: what LDADetector.for_inference gains
    plain = LDADetector(cfg).eval().use_bf16_variance()  # the loaders' bf16 choice: only memory order differs
    plain.load_state_dict(model.state_dict())
    t_plain = model_time(plain, clip_t, repeat)
    out["channels_last"] = {"contiguous_ms_per_clip": round(1000 * t_plain / batch, 2),
                            "channels_last_ms_per_clip": round(1000 * t_full / batch, 2),
                            "speedup": round(t_plain / t_full, 3)}
    del plain
    out["num_frames_scaling_ms_per_clip"] = {}
    for n in (2, 3, 4, 5):
        m = LDADetector(cfg.replace(num_frames=n)).for_inference()
        x = torch.randn(batch, n + 1, 3, cfg.backbone_size, cfg.backbone_size)
        out["num_frames_scaling_ms_per_clip"][f"n{n}"] = round(1000 * model_time(m, x, repeat) / batch, 2)
    out["train_step_ms_per_clip"] = round(1000 * train_step_time(cfg) / 16, 2)
    out["lda_overhead"]["flops_ratio"], peak = roofline(model, base, clip_t[:1], t_full / batch * 1000)
    out.update(peak)
    return out


def print_report(out: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:32s} {v}")


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = load_model(args.preset, args.weights)
    cfg = model.config
    base = LDADetector(cfg.replace(use_spatial=False, use_temporal=False)).for_inference()
    seconds = 3.0 if args.quick else 10.0
    repeat = 2 if args.quick else 3
    out: dict = {"preset": cfg.name, "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count()}
    out.update(pipeline_timings(model, seconds, args.video))
    # the model alone at the batch the pipeline runs it; the paper preset at 2 (memory)
    batch = 2 if args.preset == "paper" else MODEL_BATCH
    out.update(model_timings(model, base, batch, repeat))
    out["peak_rss_mb"] = peak_rss_mb()
    if args.memory_clip:
        out["long_1080p"] = long_clip_memory(args.preset, args.weights)
    print_report(out, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
