"""Pure functions from arrays to plotly figures (and small RGB images). No model, no I/O."""

from __future__ import annotations

import base64
import copy
import functools
from collections.abc import Sequence

import cv2
import numpy as np
import plotly.colors
import plotly.graph_objects as go
from plotly.subplots import make_subplots

HEAT = "Inferno"
# The colour scale as plotly.js needs it: figures built without validation (`panel_figure`) get no
# name-to-colours conversion, and plotly.js knows only a few names (not Inferno).
HEAT_SCALE = plotly.colors.get_colorscale(HEAT)
TRACK_COLOURS = ["#e4572e", "#17bebb", "#ffc914", "#76b041", "#6a4c93", "#2e86ab"]


def image_uri(rgb: np.ndarray, quality: int = 90) -> str:
    """(H, W, 3) RGB uint8 -> a JPEG data URI: a face crop is ~10 KB this way, against ~200 KB of
    JSON as a pixel array, and the browser decodes it instead of drawing every pixel."""
    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(rgb[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("could not encode the image")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def _crop_image(crop: np.ndarray, grid: int) -> dict:
    """The face crop stretched over the patch grid [-0.5, g-0.5] so heatmap cells sit on their patches."""
    s = crop.shape[0]
    d = grid / s
    return dict(type="image", source=image_uri(crop), x0=-0.5 + d / 2, y0=-0.5 + d / 2, dx=d, dy=d, hoverinfo="skip")


def _heat(z: np.ndarray, opacity: float, zmin: float, zmax: float, show_scale: bool, name: str) -> dict:
    g = z.shape[0]
    rows, cols = np.mgrid[0:g, 0:g]
    return dict(
        type="heatmap", z=z, colorscale=HEAT_SCALE, opacity=opacity, zmin=zmin, zmax=zmax, showscale=show_scale, name=name,
        customdata=np.stack([rows, cols], -1),
        hovertemplate=f"{name}<br>patch row %{{customdata[0]}}, column %{{customdata[1]}}<br>value %{{z:.3f}}<extra></extra>",
        **(dict(colorbar=dict(thickness=10, len=0.8)) if show_scale else {}),
    )


@functools.lru_cache(maxsize=32)
def _grid_layout(rows: int, cols: int, titles: tuple[str, ...], hspace: float, vspace: float) -> dict:
    """make_subplots' layout (axis domains, title annotations) for one grid shape, made once."""
    return make_subplots(rows=rows, cols=cols, subplot_titles=list(titles), horizontal_spacing=hspace,
                         vertical_spacing=vspace).to_dict()["layout"]


def panel_figure(panels: Sequence[Sequence[dict]], grid: int, cols: int, titles: Sequence[str], title_size: int,
                 hspace: float, vspace: float, **layout) -> go.Figure:
    """A grid of square panels over the patch grid (no ticks): panel k (row-major) draws the traces
    `panels[k]`. Built as one dict, so plotly validates nothing per call: a 25-panel figure takes
    ~10 ms instead of ~300 (the traces come from `_crop_image` / `_heat`)."""
    rows = -(-len(panels) // cols)
    lay = copy.deepcopy(_grid_layout(rows, cols, tuple(titles), hspace, vspace))
    for note in lay.get("annotations", []):
        note["font"] = dict(size=title_size)
    data = []
    common = dict(showticklabels=False, showgrid=False, zeroline=False)
    for k in range(rows * cols):  # cells past the last panel: no axes at all
        n = "" if k == 0 else str(k + 1)
        lay[f"xaxis{n}"].update(range=[-0.5, grid - 0.5], constrain="domain", visible=k < len(panels), **common)
        lay[f"yaxis{n}"].update(range=[grid - 0.5, -0.5], scaleanchor=f"x{n}", visible=k < len(panels), **common)
        data += [{**t, "xaxis": f"x{n}", "yaxis": f"y{n}"} for t in (panels[k] if k < len(panels) else [])]
    lay.update(layout)
    return go.Figure(data=data, layout=lay, _validate=False)


MAX_COLUMNS = 3  # panels per row: three stay readable on a 390 px phone screen, and side by side on a laptop


def group_ranges(maps: np.ndarray, groups: Sequence[object] | None) -> list[tuple[float, float]]:
    """(zmin, zmax) per map (m, g, g): maps of one group share their group's range, so they compare;
    `groups` None is one group. Maps of different kinds (a gate, Grad-CAM divided by its peak) live on
    different scales, and one range over both would wash out the lower one."""
    keys = list(groups) if groups is not None else [0] * len(maps)
    span: dict[object, tuple[float, float]] = {}
    for key, m in zip(keys, maps):
        lo, hi = span.get(key, (np.inf, -np.inf))
        span[key] = (min(lo, float(m.min())), max(hi, float(m.max())))
    return [(span[key][0], span[key][1] + 1e-6) for key in keys]


def attention_maps_figure(maps: np.ndarray, crop: np.ndarray, opacity: float = 0.55,
                          title: str = "Spatial attention", names: Sequence[str] | None = None,
                          groups: Sequence[object] | None = None) -> go.Figure:
    """m maps (m, g, g) as per-patch heatmaps over the face crop (S, S, 3), one panel each, at most
    `MAX_COLUMNS` to a row. Maps with equal `groups` keys share a colour scale (`group_ranges`; default:
    one for all); the colour bar is drawn only when there is one scale (hover shows every value)."""
    m, g = maps.shape[0], maps.shape[-1]
    names = list(names or [f"map {k + 1}" for k in range(m)])
    cols = min(m, MAX_COLUMNS)
    rows = -(-m // cols)
    ranges = group_ranges(maps, groups)
    one_scale = len(set(ranges)) == 1
    face = _crop_image(crop, g)
    panels = [[face, _heat(maps[k], opacity, *ranges[k], one_scale and k == m - 1, names[k])] for k in range(m)]
    return panel_figure(panels, g, cols, names, 11, 0.03, 0.08 if rows > 1 else 0.0,
                        title=dict(text=title, font=dict(size=13)), height=60 + 230 * rows,
                        margin=dict(l=10, r=10, t=60, b=10))


def residual_image(crops: np.ndarray, k: int, gain: float = 4.0) -> np.ndarray:
    """Panel k of the temporal input as a picture: frame t (k = 0) or |I_t+k - I_t+k-1| amplified."""
    if k == 0:
        return crops[0]
    diff = np.abs(crops[k].astype(np.int16) - crops[k - 1].astype(np.int16)) * gain
    return np.clip(diff, 0, 255).astype(np.uint8)


def temporal_maps_figure(temporal: np.ndarray, crops: np.ndarray, guide: np.ndarray | None = None,
                         opacity: float = 0.55) -> go.Figure:
    """Temporal maps (m, n+1, g, g) over frame t and its motion residuals, plus the reduced map per row."""
    m, steps, g = temporal.shape[0], temporal.shape[1], temporal.shape[-1]
    cols = steps + (1 if guide is not None else 0)
    titles = []
    for r in range(m):
        titles += ["t" if k == 0 else f"Δ t+{k}" for k in range(steps)]  # short: 5 columns fit 390 px
        if guide is not None:
            titles.append(f"map {r + 1}, mean")
    lo, hi = float(temporal.min()), float(temporal.max()) + 1e-6
    inputs = [_crop_image(residual_image(crops, k), g) for k in range(steps)]  # the same in every row
    panels = []
    for r in range(m):
        panels += [[inputs[k], _heat(temporal[r, k], opacity, lo, hi, r == 0 and k == 0, f"map {r + 1}, step {k}")]
                   for k in range(steps)]
        if guide is not None:
            panels.append([inputs[0], _heat(guide[r], opacity, lo, hi, False, f"map {r + 1}, reduced")])
    return panel_figure(panels, g, cols, titles, 10, 0.01, 0.04, title=dict(text="Temporal attention"),
                        height=170 * m + 60, margin=dict(l=10, r=10, t=60, b=10))


def timeline_figure(tracks: dict[int, tuple[Sequence[float], Sequence[float]]], threshold: float,
                    selected: tuple[int, float] | None = None, names: dict[int, str] | None = None) -> go.Figure:
    """Per-track fake probability over time; `selected` = (track, time) is marked; `names` labels
    the lines (default "face N")."""
    fig = go.Figure()
    for tid, (times, probs) in sorted(tracks.items()):
        name = (names or {}).get(tid, f"face {tid}")
        fig.add_trace(go.Scatter(x=list(times), y=list(probs), mode="lines+markers", name=name,
                                 line=dict(color=TRACK_COLOURS[tid % len(TRACK_COLOURS)]),
                                 hovertemplate="t = %{x:.2f} s<br>p(fake) = %{y:.3f}<extra>" + name + "</extra>"))
    fig.add_hline(y=threshold, line_dash="dash", line_color="grey", annotation_text=f"threshold {threshold:.2f}")
    if selected is not None:
        fig.add_vline(x=selected[1], line_color="black", line_width=1)
    fig.update_layout(title="Fake probability over time", xaxis_title="time (s)", yaxis_title="p(fake)",
                      yaxis_range=[0, 1], height=280, margin=dict(l=10, r=10, t=50, b=10), legend=dict(orientation="h"))
    return fig


def scores_figure(names: Sequence[str], scores: Sequence[float | None], threshold: float,
                  title: str = "Fake probability by variant") -> go.Figure:
    vals = [np.nan if s is None else s for s in scores]
    colours = ["#c0392b" if (v == v and v >= threshold) else "#27ae60" for v in vals]
    fig = go.Figure(go.Bar(x=list(names), y=vals, marker_color=colours, text=[f"{v:.3f}" if v == v else "n/a" for v in vals],
                           textposition="outside", hovertemplate="%{x}: %{y:.3f}<extra></extra>"))
    fig.add_hline(y=threshold, line_dash="dash", line_color="grey")
    fig.update_layout(title=title, yaxis_range=[0, 1.1], yaxis_title="p(fake)", height=300,
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig


def measured_vs_paper_figure(rows: Sequence[dict], metric: str = "auc") -> go.Figure:
    """Grouped bars: for each variant, the measured value and (where known) the paper's.

    A measured bar is hatched when its variant was fine-tuned from another checkpoint rather than
    trained from scratch or from ImageNet (row["trained"], e.g. "1 ep from `default`"); hovering shows
    how it trained. Each bar is labelled with its paper table (row["table"]): within a table the
    variants share one recipe, across tables they may not."""
    names = [f"{r['variant']} ({r['table']})" if r.get("table") else r["variant"] for r in rows]
    trained = [r.get("trained", "") for r in rows]
    hatch = ["/" if "from `" in t else "" for t in trained]
    fig = go.Figure()
    fig.add_trace(go.Bar(name="measured here", x=names, y=[r.get(f"measured_{metric}") for r in rows],
                         marker=dict(pattern_shape=hatch), customdata=trained,
                         hovertemplate="%{x}: %{y:.3f}<br>trained %{customdata}<extra></extra>"))
    if any(r.get(f"paper_{metric}") is not None for r in rows):
        fig.add_trace(go.Bar(name="paper", x=names, y=[r.get(f"paper_{metric}") for r in rows]))
    fig.update_layout(barmode="group", title=f"{metric.upper()}: measured vs paper", height=300,
                      margin=dict(l=10, r=10, t=50, b=10), yaxis_range=[0, 1.05])
    return fig


def difference_figure(diff: np.ndarray, region_cells: np.ndarray, crop: np.ndarray, peak: tuple[int, int],
                      opacity: float = 0.6, title: str = "Attention difference (tampered − original)") -> go.Figure:
    """attention(tampered) - attention(original) per patch (diverging colours: red rose, blue fell),
    defect region outlined, positive peak marked."""
    g = diff.shape[0]
    lim = float(np.abs(diff).max()) + 1e-6
    heat = {**_heat(diff, opacity, -lim, lim, True, "difference"), "colorscale": "RdBu_r"}
    fig = go.Figure([_crop_image(crop, g), heat])
    ys, xs = np.nonzero(region_cells)
    for y, x in zip(ys, xs):
        fig.add_shape(type="rect", x0=x - 0.5, x1=x + 0.5, y0=y - 0.5, y1=y + 0.5, line=dict(color="#00e5ff", width=2))
    fig.add_trace(go.Scatter(x=[peak[1]], y=[peak[0]], mode="markers", marker=dict(symbol="x", size=14, color="white",
                             line=dict(width=2, color="black")), name="peak", hovertemplate="peak<extra></extra>"))
    fig.update_xaxes(range=[-0.5, g - 0.5], showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(range=[g - 0.5, -0.5], showticklabels=False, showgrid=False, zeroline=False, scaleanchor="x")
    fig.update_layout(title=title, height=380, showlegend=False,
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig


def draw_boxes(frame: np.ndarray, boxes: dict[int, np.ndarray], probs: dict[int, float], main: int | None,
               threshold: float) -> np.ndarray:
    """A copy of the RGB frame with one labelled box per face track."""
    out = frame.copy()
    scale = max(1.0, max(out.shape[:2]) / 640)
    for tid, box in boxes.items():
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        p = probs.get(tid)
        colour = (220, 50, 40) if p is not None and p >= threshold else (40, 180, 90)
        cv2.rectangle(out, (x0, y0), (x1, y1), colour, max(1, int(2 * scale)))
        label = f"face {tid}{' (main)' if tid == main else ''}: {p:.2f}" if p is not None else f"face {tid}"
        cv2.putText(out, label, (x0, max(12, y0 - 6)), cv2.FONT_HERSHEY_SIMPLEX, 0.5 * scale, colour,
                    max(1, int(scale)), cv2.LINE_AA)
    return out
