import json

import numpy as np
import plotly.graph_objects as go

from app import plots


def test_attention_maps_figure_one_panel_per_map_on_the_real_grid():
    maps = np.random.default_rng(0).random((3, 14, 14)).astype(np.float32)
    crop = np.zeros((128, 128, 3), np.uint8)
    fig = plots.attention_maps_figure(maps, crop, opacity=0.4)
    heats = [t for t in fig.data if isinstance(t, go.Heatmap)]
    images = [t for t in fig.data if isinstance(t, go.Image)]
    assert len(heats) == 3 and len(images) == 3
    assert np.asarray(heats[1].z).shape == (14, 14) and heats[1].opacity == 0.4
    np.testing.assert_allclose(np.asarray(heats[2].z), maps[2])
    assert "patch row" in heats[0].hovertemplate and "column" in heats[0].hovertemplate
    # the crop spans exactly the grid: 128 px -> 14 cells
    assert images[0].dx * 128 == 14
    # one colour scale for all panels, so maps are comparable
    assert len({(h.zmin, h.zmax) for h in heats}) == 1


def test_map_kinds_get_their_own_colour_scale_and_a_group_shares_one():
    maps = np.stack([np.full((4, 4), 0.2), np.full((4, 4), 0.4), np.linspace(0, 1, 16).reshape(4, 4)])
    maps[0, 0, 0] = 0.1
    fig = plots.attention_maps_figure(maps, np.zeros((32, 32, 3), np.uint8), groups=["gates", "gates", "cam"])
    heats = [t for t in fig.data if isinstance(t, go.Heatmap)]
    assert heats[0].zmin == heats[1].zmin == 0.1 and heats[0].zmax == heats[1].zmax
    assert heats[2].zmin == 0.0 and abs(heats[2].zmax - 1.0) < 1e-5
    assert not any(h.showscale for h in heats)  # two scales: no single colour bar would be true
    assert plots.attention_maps_figure(maps, np.zeros((32, 32, 3), np.uint8)).data[-1].showscale


def test_temporal_figure_grid_and_residuals():
    rng = np.random.default_rng(1)
    temporal = rng.random((2, 4, 14, 14))
    crops = rng.integers(0, 255, (4, 64, 64, 3), dtype=np.uint8)
    fig = plots.temporal_maps_figure(temporal, crops, guide=temporal.mean(1))
    heats = [t for t in fig.data if isinstance(t, go.Heatmap)]
    assert len(heats) == 2 * (4 + 1)
    titles = [a.text for a in fig.layout.annotations]
    assert titles[:5] == ["t", "Δ t+1", "Δ t+2", "Δ t+3", "map 1, mean"]


def test_panel_figures_are_valid_plotly_and_small():
    """The map figures are built without plotly's per-call validation: validating them afresh must
    pass, and the crops travel as JPEG data URIs, not pixel arrays."""
    rng = np.random.default_rng(2)
    crop = rng.integers(0, 255, (160, 160, 3), dtype=np.uint8)
    spatial = plots.attention_maps_figure(rng.random((5, 14, 14)), crop, names=[f"p{k}" for k in range(5)])
    temporal = plots.temporal_maps_figure(rng.random((4, 4, 14, 14)), np.stack([crop] * 4), guide=rng.random((4, 14, 14)))
    for fig, panels in ((spatial, 5), (temporal, 20)):
        again = go.Figure(fig.to_dict())  # validates every property, converting what plotly.js would not read
        assert json.loads(again.to_json()) == json.loads(fig.to_json())  # so nothing needed converting
        images = [t for t in again.data if isinstance(t, go.Image)]
        assert len(images) == panels and all(t.source.startswith("data:image/jpeg;base64,") for t in images)
        assert {(t.xaxis, t.yaxis) for t in again.data} == {(f"x{n}", f"y{n}") for n in [""] + list(range(2, panels + 1))}
        assert again.layout.yaxis2.scaleanchor == "x2" and list(again.layout.yaxis.range) == [13.5, -0.5]
        # colour scales as colour lists (plotly.js does not know the name "Inferno")
        assert all(isinstance(t["colorscale"], list) for t in fig.to_dict()["data"] if t["type"] == "heatmap")
    assert len(temporal.to_json()) < 600_000  # 20 crops as pixel arrays were ~2 MB
    assert [a.text for a in spatial.layout.annotations] == [f"p{k}" for k in range(5)]
    assert spatial.layout.xaxis5.visible and spatial.layout.xaxis6.visible is False  # the spare cell: no axes


def test_residual_image():
    crops = np.zeros((3, 4, 4, 3), np.uint8)
    crops[1] += 10
    np.testing.assert_array_equal(plots.residual_image(crops, 0), crops[0])
    assert plots.residual_image(crops, 1).max() == 40  # |10 - 0| x gain 4
    assert plots.residual_image(crops, 2).max() == 40


def test_timeline_marks_threshold_and_selection():
    fig = plots.timeline_figure({0: ([0.0, 1.0], [0.2, 0.8]), 1: ([0.5], [0.4])}, 0.5, selected=(0, 1.0))
    assert [t.name for t in fig.data] == ["face 0", "face 1"]
    assert list(fig.data[0].y) == [0.2, 0.8]
    shapes = fig.layout.shapes
    assert any(s.y0 == 0.5 and s.y1 == 0.5 for s in shapes) and any(s.x0 == 1.0 for s in shapes)


def test_scores_figure_colours_by_threshold():
    fig = plots.scores_figure(["a", "b", "c"], [0.2, 0.9, None], 0.5)
    bar = fig.data[0]
    assert bar.marker.color[0] != bar.marker.color[1]
    assert bar.text[2] == "n/a"


def test_difference_figure_outlines_region():
    diff = np.zeros((14, 14))
    diff[3, 4] = 1
    cells = np.zeros((14, 14), bool)
    cells[3, 4] = cells[3, 5] = True
    fig = plots.difference_figure(diff, cells, np.zeros((64, 64, 3), np.uint8), (3, 4))
    assert len(fig.layout.shapes) == 2
    peak = [t for t in fig.data if isinstance(t, go.Scatter)][0]
    assert list(peak.x) == [4] and list(peak.y) == [3]


def test_measured_vs_paper_skips_missing_paper_values():
    rows = [{"variant": "default", "measured_auc": 0.9, "paper_auc": None}]
    fig = plots.measured_vs_paper_figure(rows)
    assert [t.name for t in fig.data] == ["measured here"]
    rows[0]["paper_auc"] = 0.99
    assert [t.name for t in plots.measured_vs_paper_figure(rows).data] == ["measured here", "paper"]


def test_measured_bars_of_fine_tunes_are_hatched():
    rows = [{"variant": "default", "table": "V", "measured_auc": 0.9, "trained": "24 ep from ImageNet"},
            {"variant": "m1", "table": "VI", "measured_auc": 0.8, "trained": "1 ep from `default`"},
            {"variant": "m2", "table": "VI", "measured_auc": 0.8, "trained": "20 ep from scratch"}]
    bars = plots.measured_vs_paper_figure(rows).data[0]
    assert list(bars.marker.pattern.shape) == ["", "/", ""]
    assert list(bars.customdata) == ["24 ep from ImageNet", "1 ep from `default`", "20 ep from scratch"]
    assert list(bars.x) == ["default (V)", "m1 (VI)", "m2 (VI)"]  # which table, so two recipes never look like one


def test_draw_boxes_does_not_touch_input():
    frame = np.zeros((100, 100, 3), np.uint8)
    out = plots.draw_boxes(frame, {0: np.array([10, 10, 50, 50])}, {0: 0.9}, 0, 0.5)
    assert frame.sum() == 0 and out.sum() > 0
    assert tuple(out[10, 30]) == (220, 50, 40)  # red: above threshold
