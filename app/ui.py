"""The Gradio app: `build_demo() -> gr.Blocks`, `main()` launches it.

Tabs: Analyze (verdict, timeline, spatial/temporal maps), Ablations (Table V components, m, n),
Defect lab (Fig. 8; and whole-face conditions that are no forgery), How it works (live tensor
shapes), Model (weights source and model card).
"""

from __future__ import annotations

import functools
import logging
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np
import torch

from lda_model.data import gallery
from lda_model.inference.pipeline import DEFAULT_THRESHOLD, VideoAnalysis
from lda_model.release.cards import read_results
from lda_model.inference.faces import FaceDetector, FaceModelError, to_crop_coords, crop_window, crop_square
from lda_model.inference.gradcam import POST_HOC
from lda_model.inference.landmarks import attention_by_region, describe_regions
from lda_model.inference.pairs import compare_analyses, summary
from lda_model.data.animation import load_face_photo
from lda_model.inference.video import iter_frames
from lda_model.paths import EXAMPLES_DIR, WEIGHTS_DIR

from . import figures, plots, service, texts
from .card_view import render_card
from .service import UserError

LOG = logging.getLogger("lda_app")
QUEUE_MAX_SIZE = int(os.environ.get("LDA_QUEUE_MAX_SIZE", "16"))
CONCURRENCY = int(os.environ.get("LDA_CONCURRENCY", "1"))  # 2 vCPUs: one analysis at a time is fastest
# every event that runs a model shares one concurrency group: otherwise Gradio gives each its own, and an
# analysis, a defect trial and a forgery gallery of three users would run at once on the 2 vCPUs
MODEL_WORK = {"concurrency_limit": CONCURRENCY, "concurrency_id": "model"}
# the post-hoc maps drawn beside the LDA maps (those a checkpoint has: forgery_map_cam needs a forgery-map
# head); HiResCAM alone is left out: it marks untouched skin of a blended face as much as the blend (blend
# patch AUC in the default's card), its sum with Grad-CAM does not
SHOWN_POST_HOC = ("forgery_map_cam", "two_scale_cam", "grad_cam")
# the defect lab draws the change of the first of these a checkpoint has beside the LDA maps' change
LAB_POST_HOC = ("forgery_map_cam", "two_scale_cam")
# The opacity slider restyles the drawn heatmaps in the browser: no round trip, so a move shows at
# once. Plotly.restyle changes the figure's data too, so a redraw (resize, zoom) keeps it; the
# server reads the slider when it draws the next point, and figures it sends are restyled on arrival.
OPACITY_JS = """(opacity) => {
  const apply = () => document.querySelectorAll('#lda-spatial .js-plotly-plot, #lda-temporal .js-plotly-plot')
    .forEach((gd) => {
      const heat = (gd.data || []).flatMap((t, i) => (t.type === 'heatmap' ? [i] : []));
      if (window.Plotly && heat.length) window.Plotly.restyle(gd, {opacity: opacity}, heat);
      else gd.querySelectorAll('.hm image').forEach((img) => { img.style.opacity = opacity; });
    });
  apply();
  setTimeout(apply, 300);  // a figure that is still being drawn
  return [];
}"""
FORGERY_MODES = [("any (as in training)", "any"), ("consistent", "consistent"), ("jitter", "jitter"),
                 ("drift", "drift")]
DEFECT_CHOICES = [("Gaussian-blurred mouth", "blur_mouth"), ("red pupils", "red_pupil"),
                  ("distorted mouth", "distort_mouth"), ("blur a region I mark", "region")]
CONDITION_CHOICES = [("out of focus (blur)", "blur"), ("low resolution, upscaled", "resample"), ("dark room", "dark")]


def lab_map(available) -> str | None:
    """The `LAB_POST_HOC` map the defect lab draws, of the keys `available` (None when none is)."""
    return next((k for k in LAB_POST_HOC if k in available), None)


def _fail(err: Exception | str) -> gr.Error:
    """A mistake of the user's, shown to them: one line in the server log, no traceback."""
    LOG.info("user error: %s", err)
    return gr.Error(str(err), print_exception=False)


def _no_face_model(err: FaceModelError) -> gr.Error:
    """The landmarker is missing or broken: the labs say so and the app keeps serving."""
    return _fail(f"The face model could not be loaded: {err}")


# --- Analyze --------------------------------------------------------------------------------
def verdict_markdown(a: VideoAnalysis) -> str:
    if a.main_track is None:
        return "### No face found\nThe clip decoded, but no face was detected at the sampled moments."
    p, label = a.fake_probability, a.label
    lo, hi = a.spread()
    if a.uncertain:
        head = f"## 🟨 UNCERTAIN (leans {label}) — fake probability **{p:.2f}**"
    else:
        head = f"## {'🟥' if label == 'FAKE' else '🟩'} {label} — fake probability **{p:.2f}**"
    lines = [head + f" (threshold {a.threshold:.2f}; over the clip {lo:.2f}–{hi:.2f})",
             f"Weights: `{a.weights}` · {len(a.tracks)} face track(s) · main face: {a.main_track} · "
             f"{sum(len(v) for v in a.tracks.values())} analysis points · "
             f"tracking {a.timings.get('faces_s', 0):.1f} s, model {a.timings.get('model_s', 0):.1f} s"]
    c = a.concentration()
    if c is not None:
        lines.append(f"Gate concentration **{c:.2f}** (0: attention spread evenly, 1: all on one patch; the paper "
                     "reports fakes' maps more concentrated, the model card says how that held on real benchmarks)")
    if len(a.tracks) > 1:
        lines.append("Per face: " + ", ".join(f"face {t}: {a.track_probability(t):.2f}" for t in sorted(a.tracks)))
    q = a.quality()
    lines += [f"⚠️ {note}" for note in (q.notes(label) if q is not None else [])]
    if label == "REAL":
        lines.append(texts.REAL_CANNOT_MEAN)
    return "\n\n".join(lines)


def first_frame_with_boxes(a: VideoAnalysis) -> np.ndarray | None:
    """The first analysed frame with a labelled box for every face seen there."""
    if not a.tracks:
        return None
    first = min(p.index for pts in a.tracks.values() for p in pts)
    frame = next(iter(iter_frames(a.video, [first], max_side=10**6)), None)
    if frame is None:
        return None
    boxes = {t: p.box for t, pts in a.tracks.items() for p in pts if p.index == first}
    return plots.draw_boxes(frame[2], boxes, {t: a.track_probability(t) for t in a.tracks}, a.main_track, a.threshold)


def _post_hoc_panels(a: VideoAnalysis, p) -> dict[str, list[tuple[str, np.ndarray]]]:
    """The post-hoc maps beside the LDA maps, {key: [(name, map)]}; empty when the analysis' weights cannot
    be loaded again."""
    try:
        if p.post_hoc is None or p.post_hoc[0] != a.weights:  # once per point and weights, not per redraw
            p.post_hoc = (a.weights, service.point_post_hoc(a, p.crops))
        return {k: [(POST_HOC[k], p.post_hoc[1][k])] for k in SHOWN_POST_HOC if k in p.post_hoc[1]}
    except UserError:
        return {}
    except RuntimeError as err:  # e.g. out of memory: the LDA maps are still worth showing
        LOG.warning("Grad-CAM failed: %s", err)
        return {}


def spatial_panels(a: VideoAnalysis, p) -> tuple[list[tuple[str, np.ndarray]], np.ndarray | None]:
    """(panels, the map the region words describe). The panel groups (gates, the modules' activation, the
    forgery-map head's prediction when the checkpoint has one, the post-hoc maps) come in the order of how
    well each localizes by the checkpoint's card (the weaker of its blend patch AUC and its Fig. 8 rise rate,
    `service.localization_scores`), best first and labelled with it; in that order without a measurement.
    The region words describe the first group's map."""
    gates = [(f"gate {i + 1}", m) for i, m in enumerate(p.spatial_maps if p.spatial_maps is not None else [])]
    groups = {"maps": gates,
              "activations": [("activation", p.module_activation)] if p.module_activation is not None else [],
              "forgery_map": [("forgery map", p.forgery_map)] if p.forgery_map is not None else [],
              **_post_hoc_panels(a, p)}
    scores = service.localization_scores(a.weights)
    order = sorted((k for k, panels in groups.items() if panels), key=lambda k: -scores.get(k, -1.0))
    panels = []
    for k in order:
        panels += [(f"{n} · {scores[k]:.2f}" if i == 0 and k in scores else n, m) for i, (n, m) in enumerate(groups[k])]
    described = (p.shown_map() if order[0] == "maps" else groups[order[0]][0][1]) if order else None
    return panels, described


def scale_group(panel_name: str) -> str:
    """The colour-scale group of a Spatial attention panel: the m gates share one scale (they compare),
    every other map kind (activation, forgery map, each post-hoc map) has its own."""
    return "gates" if panel_name.startswith("gate ") else panel_name.split(" · ")[0]


def point_figures(a: VideoAnalysis | None, track: int | None, k: int, opacity: float):
    if a is None or track is None or track not in a.tracks:
        return None, None, None
    pts = a.tracks[track]
    p = pts[int(np.clip(k, 0, len(pts) - 1))]
    spatial = None
    panels, described = spatial_panels(a, p)
    if panels:
        regions = describe_regions(attention_by_region(described, p.crop_landmarks, p.crop.shape[0]))
        spatial = plots.attention_maps_figure(np.stack([m for _, m in panels]), p.crop, opacity,
                                              names=[n for n, _ in panels], groups=[scale_group(n) for n, _ in panels],
                                              title=f"t = {p.time_s:.2f} s · p(fake) {p.fake_probability:.2f}<br>"
                                                    f"most attention: {regions}")  # two lines fit a phone
    temporal = None
    if p.temporal_maps is not None:
        temporal = plots.temporal_maps_figure(p.temporal_maps, p.crops, p.temporal_guide, opacity)
    timeline = plots.timeline_figure(
        {t: ([q.time_s for q in v], [q.fake_probability for q in v]) for t, v in a.tracks.items()},
        a.threshold, selected=(track, p.time_s))
    return timeline, spatial, temporal


def run_analysis(video: str | None, weights: str, points: float, progress=gr.Progress()):
    """Analyze a clip: returns the predict JSON first (the API's answer), then the views."""
    try:
        a = service.analyze(video, weights, int(points), progress=lambda f, d: progress(f, desc=d))
    except UserError as err:
        raise _fail(err) from None
    record = a.to_json()
    record["video"] = Path(video).name
    track = a.main_track
    n_points = len(a.tracks[track]) if track is not None else 1
    timeline, spatial, temporal = point_figures(a, track, 0, 0.55)
    tracks = [(f"face {t} ({len(v)} points)", t) for t, v in sorted(a.tracks.items())]
    return (record, verdict_markdown(a), shown(first_frame_with_boxes(a), "faces"), timeline,
            gr.update(choices=tracks, value=track, visible=len(tracks) > 1),
            gr.update(maximum=max(n_points - 1, 0), value=0, visible=n_points > 1),
            spatial, temporal, a)


def show_point(a: VideoAnalysis | None, track: int | None, k: float, opacity: float):
    return point_figures(a, track, int(k), opacity)


# --- Ablations ------------------------------------------------------------------------------
def _selected_point(a: VideoAnalysis | None, track, k):
    if a is None or a.main_track is None:
        raise _fail("Analyze a clip first (Analyze tab).")
    track = a.main_track if track not in a.tracks else track
    pts = a.tracks[track]
    return track, int(np.clip(k, 0, len(pts) - 1))


def run_components(video, a: VideoAnalysis | None, track, k, points):
    track, k = _selected_point(a, track, k)
    try:
        results = service.variant_scores(video, service.COMPONENT_VARIANTS, int(points))
    except UserError as err:
        raise _fail(err) from None
    names = list(results)
    scores = [None if r is None else r.fake_probability for r in results.values()]
    rows = [[n, "missing" if s is None else f"{s:.3f}", "missing" if r is None else r.label]
            for n, r, s in zip(names, results.values(), scores)]
    threshold = a.threshold
    maps = []
    for name, r in results.items():
        if r is None or track not in r.tracks:
            continue
        p = r.tracks[track][min(k, len(r.tracks[track]) - 1)]
        for label, m in (("spatial", p.spatial_maps), ("temporal", p.temporal_guide)):
            if m is not None:
                maps.append((f"{name}: {label}", m.mean(0), p.crop))
    fig_maps = None
    if maps:
        fig_maps = plots.attention_maps_figure(np.stack([m for _, m, _ in maps]), maps[0][2],
                                               title="Mean attention map per variant", names=[n for n, _, _ in maps])
    return plots.scores_figure(names, scores, threshold, "Table V: components"), rows, fig_maps


def variant_choices() -> list[tuple[str, str]]:
    """(label, checkpoint) for exactly the bundled m / n variants of Tables VI-VII; a full model (m = 4, n = 3)
    that is both tables' is listed once, under Table VI."""
    bundled = set(service.available_weights())
    choices = [(f"m = {m}, n = 3 · Table VI · {name}", name) for m, name in service.PAPER_VARIANTS["m"].items()]
    choices += [(f"m = 4, n = {n} · Table VII · {name}", name) for n, name in service.PAPER_VARIANTS["n"].items()
                if name not in service.PAPER_VARIANTS["m"].values()]
    return [(label, name) for label, name in choices if name in bundled]


def run_mn(video, a: VideoAnalysis | None, track, k, name, points):
    """The chosen m / n variant on the selected point; an error clears the previous variant's views."""
    track, k = _selected_point(a, track, k)
    labels = dict((n, label) for label, n in variant_choices())
    if name not in labels:
        return f"### The variant `{name}` is not bundled with this copy of the app.", None, None
    try:
        r = service.analyze(video, name, int(points))
    except UserError as err:
        return f"### {err}", None, None
    _, spatial, temporal = point_figures(r, track if track in r.tracks else r.main_track, k, 0.55)
    if r.fake_probability is None:
        return f"### {labels[name]}: no face found", None, None
    md = f"### {labels[name]}: fake probability **{r.fake_probability:.2f}** → {r.label}"
    return md, spatial, temporal


@functools.lru_cache(maxsize=1)
def _variant_rows() -> tuple[dict, ...]:
    """The bundled variants' card numbers, parsed once per process (the cards do not change while it runs, and
    every page load asks for them)."""
    from lda_model.release.cards import variant_results

    return tuple(variant_results())


def results_table():
    rows = _variant_rows()
    table = [[r["variant"], r["table"] or "—", r["trained"], _fmt(r.get("measured_auc")), _fmt(r.get("measured_acc")),
              _fmt(r.get("paper_auc")), _fmt(r.get("paper_acc"))] for r in rows]
    return table, plots.measured_vs_paper_figure(rows)


def _fmt(v):
    return "—" if v is None else f"{v:.3f}"


# --- Defect lab -----------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def bundled_face_clip(size: int, length: int) -> tuple[np.ndarray, np.ndarray]:
    """The astronaut photo as a still clip of crops + crop landmarks (computed once per size)."""
    img = load_face_photo()
    with FaceDetector() as det:
        face = det.detect(img, 0.0)[0]
    window = crop_window(face.landmarks)
    crop = crop_square(img, window, size)
    return np.repeat(crop[None], length, 0), to_crop_coords(face.landmarks, window, size)


def _lab_face(source, a: VideoAnalysis | None, track, k, weights):
    """The detector and the lab's face: (detector, crops (n+1, S, S, 3), crop landmarks)."""
    try:
        detector, _ = service.get_detector(weights)
    except UserError as err:
        raise _fail(err) from None
    size = detector.config.backbone_size
    if source == "analysed clip":
        track, k = _selected_point(a, track, k)
        p = a.tracks[track][k]
        if p.crops.shape[1] != size:
            raise _fail("The analysed clip was cut for other weights; analyse it again with these weights.")
        return detector, p.crops, p.crop_landmarks
    try:
        return detector, *bundled_face_clip(size, detector.config.clip_length)
    except FaceModelError as err:
        raise _no_face_model(err) from None


def run_defect(source, a: VideoAnalysis | None, track, k, weights, kind, strength, x0, y0, x1, y1):
    detector, crops, lms = _lab_face(source, a, track, k, weights)
    size = detector.config.backbone_size
    box = None
    if kind == "region":
        box = tuple(v / 100 * size for v in (x0, y0, x1, y1))
    try:
        r = service.defect_experiment(detector, crops, lms, kind, strength, box)
    except UserError as err:
        raise _fail(err) from None
    verdict = ("✅ attention rose most inside the defect region" if r.hit else
               "❌ attention did not rise most inside the defect region")
    lab = lab_map(r.other_diffs)
    cam = None if lab is None else r.other_diffs[lab]
    cam_words = "" if cam is None else f" · {POST_HOC[lab]} on average {'rose' if r.other_rises[lab] else 'fell'}"
    md = (f"### {verdict}\n"
          f"Peak patch: row {r.peak[0]}, column {r.peak[1]} · chance of a random patch: {r.chance:.0%} · "
          f"on average over the region the LDA maps {'rose' if r.rises else 'fell'}{cam_words} · "
          f"p(fake): {r.score_before:.3f} → {r.score_after:.3f} ({r.score_after - r.score_before:+.3f})")
    both = plots.attention_maps_figure(np.concatenate([r.maps_before, r.maps_after]), r.original,
                                       title="Maps before (left) and after (right) the defect",
                                       names=[f"before {i + 1}" for i in range(len(r.maps_before))] +
                                             [f"after {i + 1}" for i in range(len(r.maps_after))])
    outlined = r.tampered.copy()
    edge = r.region ^ np.pad(r.region, 1)[2:, 1:-1] | r.region ^ np.pad(r.region, 1)[1:-1, 2:]
    outlined[edge] = (0, 229, 255)
    lda = plots.difference_figure(r.diff, r.cells, r.tampered, r.peak, title="LDA maps<br>tampered − original")
    post_hoc = None if cam is None else plots.difference_figure(
        cam, r.cells, r.tampered, np.unravel_index(int(np.argmax(cam)), cam.shape),
        title=f"{POST_HOC[lab]}<br>tampered − original")  # two lines fit a narrow column
    return shown(r.original, "original"), shown(outlined, "defect"), both, lda, post_hoc, md


def run_condition(source, a: VideoAnalysis | None, track, k, weights, kind, strength):
    detector, crops, _ = _lab_face(source, a, track, k, weights)
    try:
        r = service.condition_experiment(detector, crops, kind, float(strength))
    except UserError as err:
        raise _fail(err) from None
    qb, qa = r.quality_before, r.quality_after
    notes = qa.notes("FAKE" if r.score_after >= DEFAULT_THRESHOLD else "REAL")
    md = (f"### p(fake): {r.score_before:.3f} → {r.score_after:.3f} ({r.score_after - r.score_before:+.3f})\n"
          f"Brightness {qb.brightness:.0f} → {qa.brightness:.0f} · sharpness {qb.detail:.0f} → {qa.detail:.0f} "
          "(a caution below 99 % of the training faces)")
    if notes:
        md += "".join(f"\n\n⚠️ {n}" for n in notes)
    else:
        md += ("\n\nNo caution: the degraded face is still as bright and as sharp as 99 % of the training faces, "
               "so a verdict on it is shown without one, whatever its score.")
    return shown(r.original, "original"), shown(r.degraded, "degraded"), md


# --- Training forgeries ---------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def bundled_face_segment() -> list:
    """Segments of the shipped real demo clip, tracked as for training (computed once)."""
    return gallery.bundled_segments()


def run_forgeries(weights: str, temporal: str, seed: float, rows: float) -> tuple[str, str]:
    try:
        detector, _ = service.get_detector(weights)
    except UserError as err:
        raise _fail(err) from None
    if seed is None or not 0 <= seed < 2**32:
        raise _fail("The seed must be a whole number from 0 to 4294967295.")
    mode = None if temporal == "any" else temporal
    try:
        segments = bundled_face_segment()
    except FaceModelError as err:
        raise _no_face_model(err) from None
    forged = gallery.forge_rows(segments, int(rows), np.random.default_rng(int(seed)), "self_blend", mode)
    try:
        scores = gallery.score_rows(detector, forged)
    except ValueError as err:
        raise _fail(err) from None
    lines = ["| row | forgery | p(fake), real clip | p(fake), forged clip |", "|---|---|---|---|"]
    for i, (row, (p_real, p_fake)) in enumerate(zip(forged, scores), 1):
        row["caption"] = f"{i}. {row['kind']}/{row['temporal']}  p(fake) {p_real:.2f} -> {p_fake:.2f}"
        lines.append(f"| {i} | {row['kind']} / {row['temporal']} | {p_real:.3f} | {p_fake:.3f} |")
    return shown(gallery.gallery_grid(forged, tile=160), "forgeries"), "\n".join(lines)


# --- Compare and take-away ----------------------------------------------------------------
BUNDLED_PAIR = (EXAMPLES_DIR / "real_astronaut.webm", EXAMPLES_DIR / "fake_selfblend.webm")
DOWNLOAD_DIR = Path(tempfile.gettempdir()) / "lda_downloads"
DOWNLOAD_MAX_AGE_S = 3600


def _download(name: str, data: bytes) -> str:
    """Write a take-away file (PNG or JSON) to a fresh temporary path; files over an hour old go."""
    DOWNLOAD_DIR.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in DOWNLOAD_DIR.iterdir():  # one folder per file written
        try:
            if now - old.stat().st_mtime > DOWNLOAD_MAX_AGE_S:
                shutil.rmtree(old, ignore_errors=True)
        except FileNotFoundError:  # another request removed it first
            pass
    folder = Path(tempfile.mkdtemp(dir=DOWNLOAD_DIR))
    path = folder / name
    path.write_bytes(data)
    return str(path)


def shown(image: np.ndarray | None, name: str = "image") -> str | None:
    """An RGB image for a gr.Image output, as a PNG file of its own. Gradio stores an array output in a cache
    file named by its content and rewrites that file in place each time, so two sessions shown the same image
    at once (a class clicking one demo) can cut each other's download short; a file path is copied into that
    cache atomically instead."""
    return None if image is None else _download(f"{name}.png", figures.png_bytes(image))


def export_point(a: VideoAnalysis | None, track, k) -> tuple[str, str]:
    """The selected point's face and the Spatial attention panel's first map (the one the card measures best;
    the mean gate when the gates come first, as without a card) as a PNG, titled with its name, with verdict,
    checkpoint and point in the caption, and the analysis as JSON."""
    track, k = _selected_point(a, track, k)
    p = a.tracks[track][k]
    panels, described = spatial_panels(a, p)
    if not panels:
        raise _fail("This checkpoint has no attention maps to export.")
    name, first = panels[0]
    if scale_group(name) == "gates":  # the gates come first: their score was measured on their mean, so export that
        _, sep, score = name.partition(" · ")
        name, first = f"mean gate{sep}{score}", described
    caption = [f"{a.label} - fake probability {a.fake_probability:.2f} - weights {Path(a.weights).name}",
               f"face {track}, analysis point {k + 1} of {len(a.tracks[track])} (t = {p.time_s:.2f} s)"]
    png = figures.png_bytes(figures.map_figure(p.crop, first, caption, name))
    record = a.to_json()
    record["video"] = Path(a.video).name
    stem = Path(a.video).stem
    return _download(f"{stem}_maps.png", png), _download(f"{stem}_analysis.json", json.dumps(record, indent=1).encode())


def compare_view(state, k: int) -> tuple[str | None, str]:
    """The comparison figure (a PNG path) and its sentence at aligned point k."""
    if not state:
        return None, ""
    image, sentence = _comparison(state, k)
    return shown(image, "comparison"), sentence


def _comparison(state, k: int) -> tuple[np.ndarray, str]:
    """The comparison figure as an array and its sentence at aligned point k (shown, or exported)."""
    a, b, diffs = state[:3]
    k = int(np.clip(k, 0, len(diffs) - 1))
    d = diffs[k]
    caption = [f"original {a.label} {a.fake_probability:.2f} / other {b.label} {b.fake_probability:.2f} - "
               f"weights {Path(a.weights).name}", f"t = {d.a.time_s:.2f} s (analysis point {k + 1} of {len(diffs)})"]
    image = figures.comparison_figure(d.a.crop, d.a.shown_map(), d.b.crop, d.b.shown_map(), caption)
    where = describe_regions(d.regions) if d.region else "nowhere: the maps are identical"
    return image, f"At t = {d.a.time_s:.2f} s the mean gates differ most on: **{where}**."


def run_compare(video_a: str | None, video_b: str | None, weights: str, points: float):
    """Compare two clips (the `/compare` API): the two predict records and the difference summary first."""
    if not video_a or not video_b:
        raise _fail("Choose two clips (or press “Use the bundled pair”) first.")
    try:
        a = service.analyze(video_a, weights, int(points))
        b = service.analyze(video_b, weights, int(points))
    except UserError as err:
        raise _fail(err) from None
    diffs = compare_analyses(a, b)
    if not diffs:
        raise _fail("Both clips need a face, and the checkpoint attention maps, to be compared.")
    record = {"a": a.to_json(), "b": b.to_json(), "summary": summary(a, b, diffs)}
    record["a"]["video"], record["b"]["video"] = Path(video_a).name, Path(video_b).name
    lines = {0: "original", 1: "other version"}
    timeline = plots.timeline_figure(
        {i: ([p.time_s for p in r.tracks[r.main_track]], [p.fake_probability for p in r.tracks[r.main_track]])
         for i, r in enumerate((a, b))}, a.threshold, names=lines)
    where = (describe_regions(record["summary"]["regions"]) if record["summary"]["largest_region"]
             else "nowhere: the maps are identical")
    verdicts = (f"### original: {a.label} {a.fake_probability:.2f} · other version: {b.label} {b.fake_probability:.2f}"
                f"\nOver the clip the mean gates differ most on: **{where}**.")
    state = (a, b, diffs, record)
    image, sentence = compare_view(state, 0)
    return (record, verdicts, timeline, gr.update(maximum=max(len(diffs) - 1, 0), value=0, visible=len(diffs) > 1),
            image, sentence, state)


def export_compare(state, k) -> tuple[str, str]:
    if not state:
        raise _fail("Compare two clips first.")
    image, _ = _comparison(state, k)
    record = state[3]  # the /compare answer, as returned
    return (shown(image, "comparison"),
            _download("comparison.json", json.dumps(record, indent=1).encode()))


# --- How it works / Model -------------------------------------------------------------------
def pipeline_html(weights: str | None) -> str:
    try:
        detector, info = service.get_detector(weights)
    except UserError as err:
        return f"<p>{err}</p>"
    cfg = detector.config
    shapes = dict(detector.describe_shapes())

    def box(title, body, colour="#eef"):
        return (f"<div style='border:1px solid #99a;border-radius:8px;padding:8px 10px;margin:4px;background:{colour};"
                f"min-width:150px;color:#111'><b>{title}</b><br><span style='font-size:12px'>{body}</span></div>")

    def arrow():
        return "<div style='align-self:center;font-size:22px;color:#556'>→</div>"

    def fmt(name):
        return str(tuple(shapes[name])) if name in shapes else "off"

    row1 = [box("clip", f"frame t + n = {cfg.num_frames} next frames<br>{fmt('clip')}"), arrow(),
            box("face crop", f"MediaPipe landmarks, square window, margin 30%<br>{cfg.backbone_size}² for the backbone, "
                             f"{cfg.attention_size}² for LDA")]
    spatial = box("spatial LDA", f"s = {cfg.patch_size} → {cfg.grid_size}×{cfg.grid_size} patches, D = {cfg.embed_dim}, "
                                 f"{cfg.num_modules} modules → m = {cfg.num_maps} maps<br>{fmt('spatial maps')}", "#fee")
    temporal = box("temporal LDA", f"frame + {cfg.num_frames} motion residuals, one sequence<br>"
                                   f"{fmt('temporal maps')} → mean over time {fmt('temporal guide')}", "#efe")
    stages = "".join(box(f"backbone stage {k}", fmt(f"backbone stage {k}") +
                         ("<br><b>× spatial maps</b>" if k == cfg.spatial_stage and cfg.use_spatial else "") +
                         ("<br><b>× temporal maps</b>" if k == cfg.temporal_stage and cfg.use_temporal else ""))
                     for k in range(len(detector.backbone.stages)))
    head = ("" if cfg.mask_head_from < 0 else
            box("forgery-map head", f"stages {cfg.mask_head_from}.. → blended fraction per patch (not in the paper; "
                                    f"the verdict does not read it)<br>{fmt('forgery map')}", "#ffe"))
    flex = "display:flex;flex-wrap:wrap;align-items:stretch"
    return (f"<div style='{flex}'>{''.join(row1)}</div><div style='{flex}'>{spatial}{temporal}</div>"
            f"<div style='{flex}'>{stages}{arrow()}{box('verdict', 'global pool → linear → p(fake)')}{head}</div>"
            f"<p style='font-size:13px'>Weights <code>{info.source}</code>: {cfg.backbone} · "
            f"{detector.num_parameters() / 1e6:.2f} M parameters (LDA: spatial "
            f"{detector.num_parameters('spatial') / 1e6:.2f} M, temporal {detector.num_parameters('temporal') / 1e6:.2f} M)."
            f"</p>")


HYPER_HELP = """
| symbol | what it changes |
|---|---|
| **s** (patch size) | the grid the maps live on: (LDA input side) / s patches per side, 14 in every bundled checkpoint |
| **D** (embed dim) | width of each patch's embedding before U maps it to the forgery-property space |
| **12 modules** | independent latent spaces, each with its own template t: different forgery "properties" |
| **m** (maps) | how many maps the 1×1 conv makes; each gates its own group of backbone channels |
| **n** (frames) | how many following frames' motion residuals the temporal branch sees |
"""


def model_card(weights: str | None) -> str:
    try:
        _, info = service.get_detector(weights)
    except UserError as err:
        raise _fail(err) from None
    card = render_card(info.card())
    return card or f"No model card found for `{Path(info.source).name or info.source}`."


def _safe_card(weights: str | None) -> str:
    try:
        return model_card(weights)
    except gr.Error as err:
        return str(err)


def load_weights(choice: str, custom: str):
    source = (custom or "").strip() or choice
    try:
        detector, info = service.get_detector(source)
    except UserError as err:
        raise _fail(err) from None
    cfg = detector.config
    gr.Info(f"Loaded {info.source} ({info.kind}).")
    where = f": `{info.location}{'@' + info.revision if info.revision else ''}`" if info.kind == "hub" else ""
    status = f"Using **{Path(info.source).name or info.source}** ({info.kind}{where}) — {cfg.name}, m = {cfg.num_maps}, n = {cfg.num_frames}."
    return source, status, model_card(source), pipeline_html(source)


# --- layout ---------------------------------------------------------------------------------
def help_panel(h: texts.Help) -> None:
    """A panel's short help, and its details behind a closed accordion."""
    gr.Markdown(h.short)
    if h.more:
        with gr.Accordion("More", open=False):
            gr.Markdown(h.more)

def download_row(label: str, json_label: str) -> tuple[gr.Button, gr.File, gr.File]:
    """A take-away row: the button, then the PNG figure and the JSON it writes."""
    with gr.Row():
        button = gr.Button(label)
        return button, gr.File(label="figure", interactive=False), gr.File(label=json_label, interactive=False)


def example_clips() -> list[list[str]]:
    return [[str(p)] for p in sorted(EXAMPLES_DIR.glob("*.webm"))]


def example_labels() -> list[str]:
    """A caption per example clip (`assets/examples/examples.json`, written by `lda_model.data.examples`)."""
    index = EXAMPLES_DIR / "examples.json"
    captions = json.loads(index.read_text(encoding="utf-8")) if index.is_file() else {}
    return [captions.get(Path(c[0]).name, Path(c[0]).stem.replace("_", " ")) for c in example_clips()]


@dataclass
class _AnalyzeTab:
    video: gr.Video
    points: gr.Slider
    go_btn: gr.Button
    left: gr.Column
    record: gr.JSON
    verdict: gr.Markdown
    frame_img: gr.Image
    timeline: gr.Plot
    track: gr.Dropdown
    point: gr.Slider
    opacity: gr.Slider
    spatial_plot: gr.Plot
    temporal_plot: gr.Plot
    export_btn: gr.Button
    export_png: gr.File
    export_json: gr.File

    def outputs(self, state: gr.State) -> list:
        """What `run_analysis` returns, in its order."""
        return [self.record, self.verdict, self.frame_img, self.timeline, self.track, self.point, self.spatial_plot,
                self.temporal_plot, state]


@dataclass
class _CompareTab:
    cmp_a: gr.Video
    cmp_b: gr.Video
    pair_btn: gr.Button
    cmp_btn: gr.Button
    md: gr.Markdown
    timeline: gr.Plot
    point: gr.Slider
    img: gr.Image
    where: gr.Markdown
    export: gr.Button
    png: gr.File
    json: gr.File
    record: gr.JSON
    state: gr.State


@dataclass
class _AblationsTab:
    comp_btn: gr.Button
    comp_plot: gr.Plot
    comp_table: gr.Dataframe
    comp_maps: gr.Plot
    mn_sel: gr.Radio
    mn_btn: gr.Button
    mn_md: gr.Markdown
    mn_spatial: gr.Plot
    mn_temporal: gr.Plot
    res_table: gr.Dataframe
    res_plot: gr.Plot


@dataclass
class _DefectTab:
    source: gr.Radio
    kind: gr.Dropdown
    strength: gr.Slider
    region_row: gr.Row
    region: list  # x0, y0, x1, y1 sliders (%)
    defect_btn: gr.Button
    defect_md: gr.Markdown
    before_img: gr.Image
    after_img: gr.Image
    diff_plot: gr.Plot
    cam_diff_plot: gr.Plot
    defect_maps: gr.Plot
    c_kind: gr.Radio
    c_strength: gr.Slider
    c_btn: gr.Button
    c_md: gr.Markdown
    c_before: gr.Image
    c_after: gr.Image


@dataclass
class _ForgeriesTab:
    temporal: gr.Dropdown
    seed: gr.Number
    rows: gr.Slider
    forge_btn: gr.Button
    forge_img: gr.Image
    forge_md: gr.Markdown


@dataclass
class _ModelTab:
    weights_dd: gr.Dropdown
    custom: gr.Textbox
    load_btn: gr.Button
    weights_md: gr.Markdown
    card_md: gr.Markdown


def _weights_choices() -> tuple[list[str], str]:
    """(the Model tab's checkpoints, the one used first: $LDA_WEIGHTS, else the first bundled)."""
    weights_choices = service.available_weights()
    default_weights = os.environ.get("LDA_WEIGHTS") or (weights_choices[0] if weights_choices else "default")
    if default_weights not in weights_choices:
        weights_choices = [default_weights] + weights_choices
    return weights_choices, default_weights


def _analyze_tab() -> _AnalyzeTab:
    with gr.Tab("Analyze"):
        with gr.Row():
            with gr.Column(scale=2) as left:
                video = gr.Video(label="Clip (mp4, webm, mov, avi, mkv)", sources=["upload", "webcam"], height=320)
                points = gr.Slider(4, service.MAX_POINTS, value=service.DEFAULT_POINTS, step=1, label="Analysis points per clip")
                go_btn = gr.Button("Analyze", variant="primary")
            with gr.Column(scale=3):
                verdict = gr.Markdown("Upload a clip and press **Analyze**.")
                frame_img = gr.Image(label="Faces found (first analysed frame)", type="numpy", height=320,
                                     interactive=False)
                help_panel(texts.VERDICT)
        timeline = gr.Plot(label="Timeline")
        with gr.Row():
            track = gr.Dropdown(label="Face", choices=[], visible=False, interactive=True)
            point = gr.Slider(0, 1, value=0, step=1, label="Analysis point (move along the timeline)", visible=False)
            opacity = gr.Slider(0.0, 1.0, value=0.55, step=0.05, label="Heatmap opacity")
        with gr.Row():
            spatial_plot = gr.Plot(label="Spatial attention", elem_id="lda-spatial")
        help_panel(texts.spatial_help(service.localization_scores("default")))
        temporal_plot = gr.Plot(label="Temporal attention", elem_id="lda-temporal")
        help_panel(texts.TEMPORAL)
        export_btn, export_png, export_json = download_row("Download this figure (PNG) and the analysis (JSON)",
                                                           "analysis")
        with gr.Accordion("JSON (same as `python -m lda_model.predict --json`)", open=False):
            record = gr.JSON(label="result")
    return _AnalyzeTab(video=video, points=points, go_btn=go_btn, left=left, record=record, verdict=verdict,
                       frame_img=frame_img, timeline=timeline, track=track, point=point, opacity=opacity,
                       spatial_plot=spatial_plot, temporal_plot=temporal_plot, export_btn=export_btn,
                       export_png=export_png, export_json=export_json)


def _examples(an: _AnalyzeTab, state: gr.State, weights: gr.State) -> None:
    """The example clips under the Analyze tab's upload (when any are bundled)."""
    clips = example_clips()
    if not clips:
        return
    # A click runs the analysis with the loaded checkpoint and the points slider, like the Analyze button. The
    # examples are never cached: Gradio's cache keeps the shown values only, not the session's VideoAnalysis
    # (a gr.State), which the point slider, the exports and the labs read.
    rows = [[c[0], None, None] for c in clips]
    with an.left:
        gr.Examples(rows, inputs=[an.video, weights, an.points], label="Synthetic demo clips (made by this project)",
                    example_labels=example_labels(), fn=run_analysis, outputs=an.outputs(state), run_on_click=True,
                    api_visibility="private", cache_examples=False)


def _compare_tab() -> _CompareTab:
    with gr.Tab("Compare"):
        help_panel(texts.COMPARE)
        with gr.Row():
            cmp_a = gr.Video(label="Original", sources=["upload"], height=240)
            cmp_b = gr.Video(label="Other version", sources=["upload"], height=240)
        with gr.Row():
            pair_btn = gr.Button("Use the bundled pair (real demo clip and a synthetic self-blend of it)")
            cmp_btn = gr.Button("Compare", variant="primary")
        cmp_md = gr.Markdown()
        cmp_timeline = gr.Plot(label="Both timelines")
        cmp_point = gr.Slider(0, 1, value=0, step=1, label="Analysis point", visible=False)
        cmp_img = gr.Image(label="original | other version | difference", interactive=False, type="numpy")
        cmp_where = gr.Markdown()
        cmp_export, cmp_png, cmp_json = download_row("Download this comparison (PNG + JSON)", "comparison")
        with gr.Accordion("JSON (the /compare API's answer)", open=False):
            cmp_record = gr.JSON(label="comparison")
        cmp_state = gr.State(None)
    return _CompareTab(cmp_a=cmp_a, cmp_b=cmp_b, pair_btn=pair_btn, cmp_btn=cmp_btn, md=cmp_md,
                       timeline=cmp_timeline, point=cmp_point, img=cmp_img, where=cmp_where, export=cmp_export,
                       png=cmp_png, json=cmp_json, record=cmp_record, state=cmp_state)


def _ablations_tab() -> _AblationsTab:
    with gr.Tab("Ablations"):
        help_panel(texts.ABLATION)
        comp_btn = gr.Button("Compare components (Table V) on this clip")
        comp_plot = gr.Plot()
        comp_table = gr.Dataframe(headers=["variant", "p(fake)", "label"], interactive=False)
        comp_maps = gr.Plot()
        with gr.Row():
            choices = variant_choices()
            mn_sel = gr.Radio(choices, value=choices[0][1] if choices else None,
                              label="Variant: m attention maps (Table VI) or n following frames (Table VII)")
            mn_btn = gr.Button("Run this variant")
        mn_md = gr.Markdown()
        with gr.Row():
            mn_spatial = gr.Plot()
        mn_temporal = gr.Plot()
        gr.Markdown("#### Measured numbers of the shipped variants (from their model cards) and the paper's")
        res_table = gr.Dataframe(headers=["variant", "table", "trained", "measured AUC", "measured ACC", "paper AUC", "paper ACC"],
                                 interactive=False)
        res_plot = gr.Plot()
    return _AblationsTab(comp_btn=comp_btn, comp_plot=comp_plot, comp_table=comp_table, comp_maps=comp_maps,
                         mn_sel=mn_sel, mn_btn=mn_btn, mn_md=mn_md, mn_spatial=mn_spatial, mn_temporal=mn_temporal,
                         res_table=res_table, res_plot=res_plot)


def _defect_tab() -> _DefectTab:
    with gr.Tab("Defect lab"):
        card = read_results(WEIGHTS_DIR / "default")
        rates = {k: v for k in LAB_POST_HOC if (v := card.get(("localization-heldout", f"{k}_rise_rate"))) is not None}
        lab = lab_map(rates)  # the map the lab draws, where default's card measured it
        help_panel(texts.defect_help(card.get(("localization-heldout", "rise_rate")),
                                     None if lab is None else (POST_HOC[lab], rates[lab])))
        with gr.Row():
            source = gr.Radio(["analysed clip", "bundled face"], value="bundled face", label="Face")
            kind = gr.Dropdown(DEFECT_CHOICES, value="blur_mouth", label="Defect")
            strength = gr.Slider(0.1, 2.0, value=1.0, step=0.1, label="Strength")
        with gr.Row(visible=False) as region_row:
            x0 = gr.Slider(0, 100, value=30, label="region left (%)")
            y0 = gr.Slider(0, 100, value=60, label="top (%)")
            x1 = gr.Slider(0, 100, value=70, label="right (%)")
            y1 = gr.Slider(0, 100, value=80, label="bottom (%)")
        defect_btn = gr.Button("Apply the defect", variant="primary")
        defect_md = gr.Markdown()
        with gr.Row():
            before_img = gr.Image(label="original", interactive=False, height=256, width=256)
            after_img = gr.Image(label="with the defect (region outlined)", interactive=False, height=256, width=256)
            diff_plot = gr.Plot()
            cam_diff_plot = gr.Plot()
        defect_maps = gr.Plot()
        help_panel(texts.CONDITION)
        with gr.Row():
            c_kind = gr.Radio(CONDITION_CHOICES, value="blur", label="Condition")
            c_strength = gr.Slider(0.05, 1.0, value=0.5, step=0.05, label="How much")
            c_btn = gr.Button("Degrade and re-score")
        c_md = gr.Markdown()
        with gr.Row():
            c_before = gr.Image(label="original", interactive=False, height=256, width=256)
            c_after = gr.Image(label="degraded", interactive=False, height=256, width=256)
    return _DefectTab(source=source, kind=kind, strength=strength, region_row=region_row, region=[x0, y0, x1, y1],
                      defect_btn=defect_btn, defect_md=defect_md, before_img=before_img, after_img=after_img,
                      diff_plot=diff_plot, cam_diff_plot=cam_diff_plot, defect_maps=defect_maps, c_kind=c_kind, c_strength=c_strength,
                      c_btn=c_btn, c_md=c_md, c_before=c_before, c_after=c_after)


def _forgeries_tab() -> _ForgeriesTab:
    with gr.Tab("Training forgeries"):
        help_panel(texts.FORGERY)
        with gr.Row():
            f_temporal = gr.Dropdown(FORGERY_MODES, value="any", label="Over time")
            f_seed = gr.Number(value=0, precision=0, minimum=0, label="Seed")
            f_rows = gr.Slider(1, 6, value=3, step=1, label="Rows")
            forge_btn = gr.Button("Forge", variant="primary")
        forge_img = gr.Image(label="real | fake | blend mask, first frame | blend mask, last frame",
                             show_label=False, interactive=False)  # the grid carries its own column titles
        forge_md = gr.Markdown()
    return _ForgeriesTab(temporal=f_temporal, seed=f_seed, rows=f_rows, forge_btn=forge_btn, forge_img=forge_img,
                         forge_md=forge_md)


def _how_it_works_tab(default_weights: str) -> gr.HTML:
    with gr.Tab("How it works"):
        pipeline = gr.HTML(pipeline_html(default_weights))
        gr.Markdown(HYPER_HELP)
    return pipeline


def _model_tab(weights_choices: list[str], default_weights: str) -> _ModelTab:
    with gr.Tab("Model"):
        with gr.Row():
            weights_dd = gr.Dropdown(weights_choices, value=default_weights,
                                     label="Bundled checkpoints")
            custom = gr.Textbox(label="…or a local folder / Hub repo (org/name@revision)")
            load_btn = gr.Button("Load")
        weights_md = gr.Markdown(f"Using **{default_weights}**.")
        with gr.Accordion("Model card", open=False):
            card_md = gr.Markdown(_safe_card(default_weights))
    return _ModelTab(weights_dd=weights_dd, custom=custom, load_btn=load_btn, weights_md=weights_md, card_md=card_md)


def _wire_analyze_compare(state: gr.State, weights: gr.State, an: _AnalyzeTab, cmp: _CompareTab) -> None:
    """The Analyze tab's and the Compare tab's events (the `analyze` and `compare` APIs). Quick per-session
    events (a slider, an export, a button that fills inputs) skip the queue (`queue=False`): Gradio's
    `max_size` counts every waiting event of every kind, so a class's burst of analyses would refuse them."""
    an.go_btn.click(run_analysis, [an.video, weights, an.points], an.outputs(state), api_name="analyze",
                    **MODEL_WORK)
    an.export_btn.click(export_point, [state, an.track, an.point], [an.export_png, an.export_json],
                        api_visibility="private", queue=False)
    cmp.pair_btn.click(lambda: tuple(str(p) for p in BUNDLED_PAIR), None, [cmp.cmp_a, cmp.cmp_b],
                       api_visibility="private", queue=False)
    cmp.cmp_btn.click(run_compare, [cmp.cmp_a, cmp.cmp_b, weights, an.points],
                      [cmp.record, cmp.md, cmp.timeline, cmp.point, cmp.img, cmp.where, cmp.state],
                      api_name="compare", **MODEL_WORK)
    cmp.point.change(compare_view, [cmp.state, cmp.point], [cmp.img, cmp.where], api_visibility="private",
                     show_progress="hidden", queue=False)
    cmp.export.click(export_compare, [cmp.state, cmp.point], [cmp.png, cmp.json], api_visibility="private",
                     queue=False)
    for ctl in (an.track, an.point):
        ctl.change(show_point, [state, an.track, an.point, an.opacity],
                   [an.timeline, an.spatial_plot, an.temporal_plot], api_visibility="private", show_progress="hidden",
                   queue=False)
    for ctl in (an.opacity, an.spatial_plot, an.temporal_plot):  # new figures (an example, an analysis) too
        ctl.change(None, [an.opacity], None, js=OPACITY_JS)


def _wire_labs(state: gr.State, weights: gr.State, an: _AnalyzeTab, abl: _AblationsTab, lab: _DefectTab,
               forge: _ForgeriesTab, model: _ModelTab, pipeline: gr.HTML) -> None:
    """The events of the Ablations, Defect lab, Training forgeries and Model tabs (all private)."""
    selected = [state, an.track, an.point]
    abl.comp_btn.click(run_components, [an.video, *selected, an.points],
                       [abl.comp_plot, abl.comp_table, abl.comp_maps], api_visibility="private",
                       **MODEL_WORK)
    abl.mn_btn.click(run_mn, [an.video, *selected, abl.mn_sel, an.points],
                     [abl.mn_md, abl.mn_spatial, abl.mn_temporal], api_visibility="private",
                     **MODEL_WORK)
    lab.kind.change(lambda k: gr.update(visible=k == "region"), lab.kind, lab.region_row, api_visibility="private",
                    queue=False)  # instant, like the sliders (see _wire_analyze_compare)
    lab.defect_btn.click(run_defect, [lab.source, *selected, weights, lab.kind, lab.strength, *lab.region],
                         [lab.before_img, lab.after_img, lab.defect_maps, lab.diff_plot, lab.cam_diff_plot, lab.defect_md],
                         api_visibility="private", **MODEL_WORK)
    lab.c_btn.click(run_condition, [lab.source, *selected, weights, lab.c_kind, lab.c_strength],
                    [lab.c_before, lab.c_after, lab.c_md], api_visibility="private", **MODEL_WORK)
    forge.forge_btn.click(run_forgeries, [weights, forge.temporal, forge.seed, forge.rows],
                          [forge.forge_img, forge.forge_md], api_visibility="private", **MODEL_WORK)
    model.load_btn.click(load_weights, [model.weights_dd, model.custom],
                         [weights, model.weights_md, model.card_md, pipeline], api_visibility="private")


def build_demo() -> gr.Blocks:
    weights_choices, default_weights = _weights_choices()
    # uploads and outputs older than an hour are deleted (checked hourly): nothing piles up on a Space
    with gr.Blocks(title="LDA deepfake explainer", delete_cache=(3600, 3600)) as demo:
        state = gr.State(None)
        weights = gr.State(default_weights)
        gr.Markdown(texts.INTRO)
        analyze = _analyze_tab()
        _examples(analyze, state, weights)
        compare = _compare_tab()
        ablations = _ablations_tab()
        lab = _defect_tab()
        forgeries = _forgeries_tab()
        pipeline = _how_it_works_tab(default_weights)
        model = _model_tab(weights_choices, default_weights)
        _wire_analyze_compare(state, weights, analyze, compare)
        _wire_labs(state, weights, analyze, ablations, lab, forgeries, model, pipeline)
        demo.load(results_table, None, [ablations.res_table, ablations.res_plot], api_visibility="private",
                  queue=False)  # a page opened during a burst of analyses still gets its table
    return demo


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    demo = build_demo()
    demo.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=CONCURRENCY)
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
                max_file_size=f"{int(service.MAX_UPLOAD_MB)}mb", theme=gr.themes.Soft())
