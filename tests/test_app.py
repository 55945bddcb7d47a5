"""The app end to end: launched on a free port, called through gradio_client and driven in Chromium."""

import json
import re
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "assets" / "examples" / "fake_selfblend.webm"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tiny_weights, tmp_path_factory):
    """`python app.py` in a subprocess, as a user would start it, on a free loopback port."""
    port = free_port()
    log = tmp_path_factory.mktemp("app") / "app.log"
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
           "LDA_WEIGHTS": str(tiny_weights), "LDA_POINTS": "6", "GRADIO_ANALYTICS_ENABLED": "False",
           "LDA_QUEUE_MAX_SIZE": "10"}
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log.read_text())
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("the app did not start: " + log.read_text())
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_analyze_api_matches_the_cli(server, face_clip, tiny_weights):
    from gradio_client import Client, handle_file

    client = Client(server, verbose=False)
    assert "/analyze" in client.view_api(return_format="dict")["named_endpoints"]
    result = client.predict(handle_file(str(face_clip)), 6, api_name="/analyze")
    record = result[0]
    assert record["faces"] == 1 and record["label"] in ("REAL", "FAKE") and len(record["frames"]) == 6
    cli = subprocess.run([sys.executable, "-m", "lda_model.predict", str(face_clip), "--weights", str(tiny_weights),
                          "--json", "--points", "6"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    expected = json.loads(cli.stdout)
    assert record["fake_probability"] == pytest.approx(expected["fake_probability"], abs=1e-5)
    assert [f["index"] for f in record["frames"]] == [f["index"] for f in expected["frames"]]
    both = client.predict(handle_file(str(face_clip)), handle_file(str(face_clip)), 6, api_name="/compare")[0]
    assert both["a"]["fake_probability"] == pytest.approx(both["b"]["fake_probability"])
    assert both["summary"]["largest_region"] is None and both["summary"]["mean_abs_difference"] == 0


def test_bad_upload_is_a_message_and_the_app_keeps_serving(server, tmp_path, face_clip):
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    bad = tmp_path / "noise.mp4"
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    client = Client(server, verbose=False)
    with pytest.raises(AppError, match="Cannot read this file as a video"):
        client.predict(handle_file(str(bad)), 6, api_name="/analyze")
    assert client.predict(handle_file(str(face_clip)), 6, api_name="/analyze")[0]["faces"] == 1


def _need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs it")
        pytest.skip("chromium not installed (apt-get install chromium)")


def _analyze_example(page, server: str) -> None:
    """Open the app, upload the bundled fake example, analyse it and wait for its figures."""
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_role("button", name="Analyze").wait_for(timeout=60_000)
    page.locator("input[type=file]").first.set_input_files(str(EXAMPLE))
    page.wait_for_timeout(1500)
    page.get_by_role("button", name="Analyze").click()
    page.get_by_text("fake probability").first.wait_for(timeout=120_000)
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 3", timeout=60_000)


def test_browser_upload_verdict_and_maps(server, tmp_path):
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                           "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 2400})
        _analyze_example(page, server)
        heatmaps = page.locator(".js-plotly-plot .heatmaplayer, .js-plotly-plot .hm").count()
        shots = Path(os.environ.get("LDA_SCREENSHOT_DIR", tmp_path))
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "app_analyze.png"), full_page=True)
        text = page.inner_text("body")
        # the defect lab on the bundled face
        page.get_by_role("tab", name="Defect lab").click()
        page.get_by_role("button", name="Apply the defect").click()
        page.get_by_text("on average over the region the LDA maps").wait_for(timeout=120_000)
        page.screenshot(path=str(shots / "app_defect_lab.png"), full_page=True)
        # the training forgeries on the bundled face, scored by the loaded checkpoint
        page.get_by_role("tab", name="Training forgeries").click()
        page.get_by_role("button", name="Forge").click()
        page.get_by_text("p(fake), forged clip").wait_for(timeout=120_000)
        page.wait_for_timeout(500)
        page.screenshot(path=str(shots / "app_forgeries.png"), full_page=True)
        forgery_text = page.inner_text("body")
        # the bundled pair compared; the figure and the JSON taken away
        page.get_by_role("tab", name="Compare").click()
        page.get_by_role("button", name="Use the bundled pair (real demo clip and a synthetic self-blend of it)").click()
        page.wait_for_timeout(1500)
        page.get_by_role("button", name="Compare", exact=True).click()
        page.get_by_text("the mean gates differ most on").first.wait_for(timeout=180_000)
        compare_text = page.inner_text("body")
        page.get_by_role("button", name="Download this comparison (PNG + JSON)").click()
        page.locator("a[download][href$='comparison.json']").wait_for(timeout=60_000)
        downloads = {}
        for name in ("comparison.png", "comparison.json"):
            with page.expect_download(timeout=60_000) as dl:
                page.locator(f"a[download][href$='{name}']").first.click()
            downloads[name] = Path(dl.value.path()).stat().st_size
        page.screenshot(path=str(shots / "app_compare.png"), full_page=True)
        # the Table V components on the analysed clip, through the bundled variants
        page.get_by_role("tab", name="Ablations").click()
        page.get_by_role("button", name="Compare components (Table V) on this clip").click()
        page.get_by_text("spatial + temporal").first.wait_for(timeout=180_000)
        page.wait_for_timeout(1000)
        page.screenshot(path=str(shots / "app_ablations.png"), full_page=True)
        ablation_text = page.inner_text("body")
        browser.close()
    assert re.search(r"(REAL|FAKE|UNCERTAIN \(leans (REAL|FAKE)\)) — fake probability \d\.\d\d", text), text[:2000]
    assert heatmaps > 0
    assert (shots / "app_analyze.png").stat().st_size > 10_000
    assert "backbone only" in ablation_text and "temporal only" in ablation_text
    assert "self_blend" in forgery_text
    assert "original:" in compare_text and "other version:" in compare_text
    assert downloads["comparison.png"] > 1000 and downloads["comparison.json"] > 100


def _image(path: str) -> np.ndarray:
    """An image output (a PNG path, see app.ui.shown) as RGB."""
    return cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)


def test_an_image_output_is_a_file_of_its_own_each_time():
    from app.ui import shown

    image = np.zeros((8, 6, 3), np.uint8)
    image[2, 3] = (255, 0, 10)
    first, second = shown(image), shown(image)
    assert first != second and Path(first).read_bytes() == Path(second).read_bytes()  # no file shared by two calls
    assert np.array_equal(_image(first), image) and shown(None) is None


def test_forgeries_handler_scores_each_row(tiny_weights):
    import gradio as gr

    from app.ui import run_forgeries
    from lda_model.data.gallery import CAPTION_HEIGHT

    grid, md = run_forgeries(str(tiny_weights), "drift", 7, 2)
    assert _image(grid).shape == (CAPTION_HEIGHT + 2 * (160 + CAPTION_HEIGHT), 4 * 160, 3)
    rows = [line for line in md.splitlines() if line.startswith("| 1 ") or line.startswith("| 2 ")]
    assert len(rows) == 2 and all("self_blend / drift" in r for r in rows)
    probs = [float(v) for r in rows for v in r.strip("| ").split(" | ")[2:]]
    assert all(0.0 <= v <= 1.0 for v in probs)
    assert run_forgeries(str(tiny_weights), "drift", 7, 2)[1] == md  # the seed makes it reproducible
    with pytest.raises(gr.Error):
        run_forgeries(str(tiny_weights), "any", -1, 1)


def test_spatial_figure_shows_the_first_map_first_and_its_regions(face_clip, tiny_weights):
    from app import service, ui
    from lda_model.inference.pipeline import analyze_video

    from lda_model.inference.landmarks import attention_by_region, describe_regions

    detector, info = service.get_detector(str(tiny_weights))
    result = analyze_video(face_clip, detector, weights=info.source, num_points=4)
    p = result.tracks[0][1]
    _, spatial, temporal = ui.point_figures(result, 0, 1, 0.5)
    titles = [a.text for a in spatial.layout.annotations]
    gates = ["gate 1", "gate 2", "gate 3", "gate 4"]
    heat = [t for t in spatial.data if t.type == "heatmap"]
    assert titles[:7] == gates + ["activation", "Grad-CAM, two scales", "Grad-CAM"] and temporal is not None
    assert np.allclose(np.asarray(heat[-3].z, float), p.module_activation, atol=1e-6)
    cams = service.point_post_hoc(result, p.crops)
    assert np.allclose(np.asarray(heat[-2].z, float), cams["two_scale_cam"], atol=1e-6)
    assert np.allclose(np.asarray(heat[-1].z, float), cams["grad_cam"], atol=1e-6)
    # weights that cannot be loaded again drop the post-hoc panels, not the figure
    result.weights = "no-such-weights"
    _, spatial, _ = ui.point_figures(result, 0, 1, 0.5)
    assert [a.text for a in spatial.layout.annotations][-1] == "activation"
    first = p.shown_map()
    assert np.allclose(first, np.mean([p.spatial_maps.mean(0), p.temporal_guide.mean(0)], 0))
    regions = describe_regions(attention_by_region(first, p.crop_landmarks, p.crop.shape[0]))
    assert regions and regions in spatial.layout.title.text


def test_verdict_warns_about_a_dark_face(tmp_path, tiny_detector):
    from app.ui import verdict_markdown
    from lda_model.inference.pipeline import analyze_video
    from lda_model.data.animation import animate, load_face_photo, write_video

    frames = animate(load_face_photo(), 12, size=(256, 256), seed=0)
    bright = verdict_markdown(analyze_video(write_video(tmp_path / "b.avi", frames), tiny_detector, num_points=3))
    dark_clip = write_video(tmp_path / "d.avi", (frames * 0.3).astype(np.uint8))
    dark = verdict_markdown(analyze_video(dark_clip, tiny_detector, num_points=3))
    assert "⚠️ The face is darker" in dark and "darker" not in bright
    assert dark.startswith("## ") and dark.rindex("⚠️") > dark.index("fake probability")  # verdict first, then notes


def test_verdict_shows_the_uncertain_band_and_what_real_cannot_mean(face_clip, tiny_detector):
    from app.texts import REAL_CANNOT_MEAN
    from app.ui import verdict_markdown
    from lda_model.inference.pipeline import analyze_video

    a = analyze_video(face_clip, tiny_detector, num_points=3)
    for prob, head in ((0.52, "## 🟨 UNCERTAIN (leans FAKE)"), (0.9, "## 🟥 FAKE"), (0.1, "## 🟩 REAL")):
        for p in a.tracks[a.main_track]:
            p.fake_probability = prob
        md = verdict_markdown(a)
        assert md.startswith(head), md
        assert (REAL_CANNOT_MEAN in md) == (prob < 0.5)


def test_condition_handler_scores_and_cautions(tiny_weights):
    from app.ui import run_condition

    original, degraded, md = run_condition("bundled face", None, None, 0, str(tiny_weights), "dark", 1.0)
    original, degraded = _image(original), _image(degraded)
    assert original.shape == degraded.shape and degraded.mean() < 0.5 * original.mean()
    assert md.startswith("### p(fake): ") and "⚠️ The face is darker" in md
    _, _, mild = run_condition("bundled face", None, None, 0, str(tiny_weights), "dark", 0.05)
    assert "⚠️" not in mild and "No caution" in mild


def test_results_table_says_how_each_variant_trained():
    from app.ui import results_table
    from lda_model.release.cards import VARIANT_TABLE

    table, _ = results_table()
    rows = {r[0]: r for r in table}
    assert set(rows) <= set(VARIANT_TABLE) and "default" in rows
    assert all(len(r) == 7 for r in table)  # variant, table, trained, measured AUC/ACC, paper AUC/ACC
    assert rows["default"][2].endswith(" ep from ImageNet")  # the pretrained default
    for name, row in rows.items():  # Tables V-VII are `default`'s recipe; the earlier default is in none
        assert row[2].endswith("from scratch" if name == "xception_lite" else " ep from ImageNet"), row
    assert rows["default"][1] == "V/VI/VII" and rows["m1"][1] == "VI" and rows["n5"][1] == "VII"
    assert rows["xception_lite"][1] == "—"  # bundled, in no table: the from-scratch control
    assert rows["default"][5] == "0.999" and rows["xception_lite"][5] == "—"  # the paper's full model: default's


def test_concurrent_analyze_calls_agree(server, face_clip):
    """8 simultaneous /analyze calls (short load test; benchmarks/load.py is the long one)."""
    from gradio_client import Client, handle_file

    client = Client(server, verbose=False)
    alone = client.predict(handle_file(str(face_clip)), 4, api_name="/analyze")[0]
    jobs = [client.submit(handle_file(str(face_clip)), 4, api_name="/analyze") for _ in range(8)]
    results = [job.result(timeout=300)[0] for job in jobs]
    assert all(r["fake_probability"] == alone["fake_probability"] for r in results)
    assert all(r["frames"] == alone["frames"] for r in results)


def test_full_queue_rejects_politely_and_keeps_serving(server, face_clip):
    from gradio_client import Client, handle_file
    from gradio_client.utils import QueueError

    client = Client(server, verbose=False)
    jobs = [client.submit(handle_file(str(face_clip)), 4, api_name="/analyze") for _ in range(24)]
    ok, rejected = 0, 0
    for job in jobs:
        try:
            job.result(timeout=300)
            ok += 1
        except QueueError as err:
            assert "Queue is full" in str(err)
            rejected += 1
    assert rejected > 0 and ok >= 10  # the queue holds 10 waiting jobs (LDA_QUEUE_MAX_SIZE)
    assert client.predict(handle_file(str(face_clip)), 4, api_name="/analyze")[0]["faces"] == 1


def test_variant_picker_offers_exactly_the_bundled_variants_and_clears_on_error(face_clip, tiny_detector):
    from app import service
    from app.ui import run_mn, variant_choices
    from lda_model.inference.pipeline import analyze_video

    choices = variant_choices()
    names = [n for _, n in choices]
    tables = {*service.PAPER_VARIANTS["m"].values(), *service.PAPER_VARIANTS["n"].values()}
    assert len(names) == len(set(names)) and set(names) == tables & set(service.available_weights())
    assert set(names) == tables  # this copy bundles all of Tables VI-VII
    a = analyze_video(face_clip, tiny_detector, num_points=3)
    md, spatial, temporal = run_mn(str(face_clip), a, a.main_track, 0, "no_such_variant", 3)
    assert "not bundled" in md and spatial is None and temporal is None


def test_a_full_model_shared_by_tables_vi_and_vii_is_listed_once(monkeypatch):
    from app import service
    from app.ui import variant_choices

    monkeypatch.setitem(service.PAPER_VARIANTS["n"], 3, service.PAPER_VARIANTS["m"][4])
    monkeypatch.setattr(service, "available_weights", lambda: ["default", "m1", "n2", "n4", "n5", "xception_lite"])
    choices = variant_choices()
    names = [n for _, n in choices]
    assert names.count("default") == 1 and "Table VI" in dict((n, l) for l, n in choices)["default"]
    assert [n for n in names if n.startswith("n")] == ["n2", "n4", "n5"]
    assert "m2" not in names and "xception_lite" not in names  # not bundled here / no longer a table's


def test_every_panel_help_is_short_and_cites_no_cli_or_readme():
    from app import texts

    helps = [v for v in vars(texts).values() if isinstance(v, texts.Help)]
    scores = {"two_scale_cam": 0.88, "maps": 0.43}
    lab = ("forgery map + Grad-CAM", 0.89)
    helps += [texts.defect_help(0.9), texts.defect_help(0.45, lab), texts.spatial_help(scores), texts.spatial_help({})]
    assert "`default` on 45% (its forgery map + Grad-CAM, drawn beside the LDA maps' change, on 89%)" in \
        texts.defect_help(0.45, lab).more
    assert len(helps) >= 8
    for h in helps:
        assert len(h.short.split()) <= texts.MAX_WORDS, h.short
        assert "README" not in h.short + h.more and "--" not in h.short + h.more
    assert "two-scale Grad-CAM 0.88, the gates 0.43" in texts.spatial_help(scores).more
    assert "{" not in texts.spatial_help({}).more and "`default`" not in texts.spatial_help({}).more


def test_compare_the_bundled_pair_and_take_the_results_away(tiny_weights):
    import gradio as gr

    from app.ui import BUNDLED_PAIR, compare_view, export_compare, export_point, run_compare
    from lda_model.inference.pipeline import analyze_video
    from lda_model.inference.weights import load_detector

    a_path, b_path = (str(p) for p in BUNDLED_PAIR)
    record, md, timeline, _, image, where, state = run_compare(a_path, b_path, str(tiny_weights), 4)
    assert set(record) == {"a", "b", "summary"} and record["a"]["video"] == "real_astronaut.webm"
    assert record["summary"]["points"] == len(state[2]) >= 1 and record["summary"]["largest_region"]
    assert "original:" in md and len(timeline.data) == 2
    image = _image(image)
    assert image.ndim == 3 and image.shape[1] == 3 * 256 and "differ most" in where
    from lda_model.inference.pairs import compare_analyses

    _, same_where = compare_view((state[0], state[0], compare_analyses(state[0], state[0]), {}), 0)
    assert "identical" in same_where
    png, js = export_compare(state, 0)
    assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and json.loads(Path(js).read_text())["summary"]
    detector, _ = load_detector(str(tiny_weights))
    a = analyze_video(a_path, detector, weights=str(tiny_weights), num_points=3)
    png, js = export_point(a, a.main_track, 1)
    assert Path(png).stat().st_size > 1000 and json.loads(Path(js).read_text())["faces"] == 1
    with pytest.raises(gr.Error):
        run_compare(a_path, None, str(tiny_weights), 4)


def test_user_errors_are_one_log_line_without_traceback(caplog):
    import gradio as gr

    from app import ui

    with caplog.at_level("INFO", logger="lda_app"), pytest.raises(gr.Error) as err:
        ui.run_analysis(None, "default", 4)
    assert err.value.print_exception is False  # gradio prints no traceback for it
    lines = [r.getMessage() for r in caplog.records if r.name == "lda_app"]
    assert lines == ["user error: Please upload a video (or record one with the webcam) first."]


def test_the_map_that_localizes_best_by_the_card_comes_first(face_clip, tiny_weights, monkeypatch):
    from app import service, ui
    from lda_model.inference.landmarks import attention_by_region, describe_regions
    from lda_model.inference.pipeline import analyze_video

    detector, info = service.get_detector(str(tiny_weights))
    result = analyze_video(face_clip, detector, weights=info.source, num_points=2)
    p = result.tracks[0][0]
    scores = {"two_scale_cam": 0.83, "grad_cam": 0.51, "maps": 0.43, "activations": 0.57}
    monkeypatch.setattr(service, "localization_scores", lambda source: scores)
    panels, described = ui.spatial_panels(result, p)
    names = [n for n, _ in panels]
    assert names[:3] == ["Grad-CAM, two scales · 0.83", "activation · 0.57", "Grad-CAM · 0.51"]
    assert names[3] == "gate 1 · 0.43" and names[-1] == "gate 4"
    assert np.array_equal(described, panels[0][1])  # the words describe the map shown first
    _, spatial, _ = ui.point_figures(result, 0, 0, 0.5)
    words = describe_regions(attention_by_region(described, p.crop_landmarks, p.crop.shape[0]))
    assert words in spatial.layout.title.text
    monkeypatch.setattr(service, "localization_scores", lambda source: {"maps": 0.9})  # the gates first: their mean
    panels, described = ui.spatial_panels(result, p)
    assert panels[0][0] == "gate 1 · 0.90" and np.array_equal(described, p.shown_map())
    monkeypatch.setattr(service, "localization_scores", lambda source: {})  # unmeasured: in the groups' order
    assert [n for n, _ in ui.spatial_panels(result, p)[0]][-3:] == ["activation", "Grad-CAM, two scales", "Grad-CAM"]


def test_a_checkpoint_with_a_forgery_map_head_shows_it_where_the_card_ranks_it(face_clip, tiny_config, tmp_path,
                                                                           monkeypatch):
    from app import service, ui
    from lda_model import LDADetector
    from lda_model.inference.pipeline import analyze_video

    LDADetector(tiny_config.replace(mask_head_from=2)).save_pretrained(tmp_path / "head")
    detector, info = service.get_detector(str(tmp_path / "head"))
    result = analyze_video(face_clip, detector, weights=info.source, num_points=2)
    p = result.tracks[0][0]
    g = tiny_config.grid_size
    assert p.forgery_map.shape == (g, g) and ((p.forgery_map > 0) & (p.forgery_map < 1)).all()
    monkeypatch.setattr(service, "localization_scores", lambda source: {"forgery_map": 0.95, "two_scale_cam": 0.83})
    panels, described = ui.spatial_panels(result, p)
    assert [n for n, _ in panels][:2] == ["forgery map · 0.95", "Grad-CAM, two scales · 0.83"]
    assert np.array_equal(described, p.forgery_map)  # the region words describe the head's map
    # with a head the mean of its map and the two-scale Grad-CAM is drawn too, and leads when it measures best
    monkeypatch.setattr(service, "localization_scores",
                        lambda source: {"forgery_map_cam": 0.89, "forgery_map": 0.79, "two_scale_cam": 0.83})
    panels, described = ui.spatial_panels(result, p)
    assert [n for n, _ in panels][:3] == ["forgery map + Grad-CAM · 0.89", "Grad-CAM, two scales · 0.83",
                                          "forgery map · 0.79"]
    cams = service.point_post_hoc(result, p.crops)
    assert np.allclose(described, cams["forgery_map_cam"]) and np.allclose(panels[0][1], cams["forgery_map_cam"])
    monkeypatch.setattr(service, "localization_scores", lambda source: {})
    assert "forgery map" in [n for n, _ in ui.spatial_panels(result, p)[0]]


def test_localization_scores_are_the_weaker_of_the_cards_two_measurements(monkeypatch):
    from app import service

    results = {("blend-attention-test", "patch_auc_grad_cam"): 0.92, ("localization-heldout", "grad_cam_rise_rate"): 0.51,
               ("blend-attention-test", "patch_auc_maps"): 0.68, ("localization-heldout", "rise_rate"): 0.43,
               ("blend-attention-test", "patch_auc_activations"): 0.57}
    service.localization_scores.cache_clear()
    monkeypatch.setattr(service, "read_results", lambda folder: results)
    try:
        scores = service.localization_scores("default")
        assert scores == {"grad_cam": 0.51, "maps": 0.43, "activations": 0.57}  # unmeasured maps: absent
        assert service.localization_scores("/not/bundled") == {}
    finally:
        service.localization_scores.cache_clear()
    real = service.localization_scores("default")  # the bundled card
    assert set(real) <= {"maps", "activations", "forgery_map", "grad_cam", "hires_cam", "two_scale_cam",
                         "forgery_map_cam"}
    assert all(0 <= v <= 1 for v in real.values())


OVERLAPS_JS = """() => {
  const out = [];
  let titles = 0;
  document.querySelectorAll('.js-plotly-plot').forEach((plot, p) => {
    const boxes = [...plot.querySelectorAll('.annotation-text')].map(t => [t.textContent, t.getBoundingClientRect()])
      .filter(([, r]) => r.width > 0);
    titles += boxes.length;
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const [a, ra] = boxes[i], [b, rb] = boxes[j];
      if (ra.left < rb.right - 1 && rb.left < ra.right - 1 && ra.top < rb.bottom - 1 && rb.top < ra.bottom - 1)
        out.push(`plot ${p}: "${a}" overlaps "${b}"`);
    }
  });
  return {titles, overlaps: out};
}"""


SPATIAL_TITLE_JS = ("[...document.querySelectorAll('.js-plotly-plot .gtitle')].map(t => t.textContent)"
                    ".find(t => t.startsWith('t = ')) || ''")


def _spatial_title(page) -> str:
    return page.evaluate("() => " + SPATIAL_TITLE_JS)


def _timed_change(page, act, before: str) -> float:
    """Seconds from `act()` until the spatial figure's title differs from `before`."""
    t0 = time.perf_counter()
    act()
    page.wait_for_function(f"(before) => ({SPATIAL_TITLE_JS}) !== before", arg=before, timeout=60_000)
    return time.perf_counter() - t0


HEAT_OPACITY_JS = ("[...document.querySelectorAll('#lda-spatial .hm image, #lda-temporal .hm image')]"
                   ".map(i => i.style.opacity)")


def _timed_opacity(page, value: str) -> tuple[float, list[str]]:
    """Seconds from typing `value` into the opacity slider until every drawn heatmap shows it."""
    box = page.get_by_label("number input for Heatmap opacity")
    t0 = time.perf_counter()
    box.fill(value)
    box.press("Enter")
    page.wait_for_function(f"(v) => {{ const o = {HEAT_OPACITY_JS}; return o.length > 0 && o.every(x => x === v); }}",
                           arg=value, timeout=60_000)
    return time.perf_counter() - t0, page.evaluate("() => " + HEAT_OPACITY_JS)


def test_browser_phone_width_titles_and_scrubbing(server, tmp_path):
    _need_chromium()
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("LDA_SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 390, "height": 844})
        _analyze_example(page, server)
        page.wait_for_timeout(1000)
        found = page.evaluate(OVERLAPS_JS)
        page.screenshot(path=str(shots / "app_analyze_390px.png"), full_page=True)
        before = _spatial_title(page)
        point = page.get_by_label("number input for Analysis point (move along the timeline)")
        scrub_s = _timed_change(page, lambda: (point.fill("2"), point.press("Enter")), before)
        page.wait_for_timeout(500)
        opacity_s, shown = _timed_opacity(page, "0.9")
        page.set_viewport_size({"width": 430, "height": 900})  # a phone turned: plotly redraws
        page.wait_for_timeout(1500)
        kept = page.evaluate("() => " + HEAT_OPACITY_JS)
        browser.close()
    print(f"\nscrubbing (analysis point 0 -> 2, figures redrawn): {scrub_s:.2f} s; opacity 0.55 -> 0.9: {opacity_s:.2f} s")
    assert len(shown) >= 10 and set(kept) == {"0.9"}  # every heatmap of both figures, still after a redraw
    assert found["titles"] >= 10 and before  # the subplot titles of the spatial and temporal figures were read
    assert not found["overlaps"], found["overlaps"]
    assert (shots / "app_analyze_390px.png").stat().st_size > 10_000


def test_the_how_it_works_tab_draws_the_head_only_when_there_is_one(tiny_config, tiny_weights, tmp_path):
    from app import ui
    from lda_model import LDADetector

    LDADetector(tiny_config.replace(mask_head_from=2)).save_pretrained(tmp_path / "head")
    g = tiny_config.grid_size
    assert "forgery-map head" in ui.pipeline_html(str(tmp_path / "head")) and f"(1, {g}, {g})" in ui.pipeline_html(
        str(tmp_path / "head"))
    assert "forgery-map head" not in ui.pipeline_html(str(tiny_weights))



def test_an_example_click_analyzes_with_the_loaded_checkpoint_and_points():
    from app import ui
    demo = ui.build_demo()
    runs = [f for f in demo.fns.values() if f.fn is ui.run_analysis]
    assert len(runs) == 2, "the Analyze button and an example click"
    button, example = ([c._id for c in f.inputs] for f in runs)
    assert example == button and len(example) == 3  # video, the loaded weights' state, the points slider
    loads = [f for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "load_example"]
    assert [[c._id for c in f.outputs] for f in loads] == [button[:1]]  # a click fills in the video, nothing else


def test_quick_events_skip_the_queue_that_analyses_fill():
    """Gradio's queue limit counts waiting events of every kind: a slider move, an export or the results table
    of a page opened during a class's burst of analyses must not be refused as "Queue is full"."""
    from app import ui

    demo = ui.build_demo()
    queued = {getattr(f.fn, "__name__", ""): f.queue for f in demo.fns.values() if f.fn is not None}
    assert not any(queued[n] for n in ("show_point", "export_point", "compare_view", "export_compare", "results_table"))
    assert all(queued[n] for n in ("run_analysis", "run_compare", "run_defect", "run_forgeries"))  # the heavy work waits
    groups = {f.concurrency_id for f in demo.fns.values() if f.fn in (ui.run_compare, ui.run_defect, ui.run_condition,
                                                                       ui.run_forgeries, ui.run_components, ui.run_mn)}
    assert len(groups) == 1  # and takes turns: one model at a time on the 2 vCPUs


def test_the_png_export_holds_the_first_panel_the_analyze_tab_shows(face_clip, tiny_weights, monkeypatch):
    from app import figures, ui
    from lda_model.inference.pipeline import analyze_video
    from lda_model.inference.weights import load_detector

    detector, _ = load_detector(str(tiny_weights))
    a = analyze_video(str(face_clip), detector, weights=str(tiny_weights), num_points=2)
    p = a.tracks[a.main_track][1]
    monkeypatch.setattr(ui, "spatial_panels", lambda a, p: ([("Grad-CAM · 0.90", np.full((7, 7), 0.3)),
                                                              ("gate 1", p.spatial_maps[0])], None))
    drawn = {}
    monkeypatch.setattr(figures, "map_figure", lambda crop, m, caption, title: drawn.update(map=m, title=title)
                        or np.zeros((8, 8, 3), np.uint8))
    ui.export_point(a, a.main_track, 1)
    assert drawn["title"] == "Grad-CAM · 0.90" and np.allclose(drawn["map"], 0.3)
    mean = np.full((7, 7), 0.6)  # the gates first (no card, or a card that ranks them best): their mean is exported
    monkeypatch.setattr(ui, "spatial_panels", lambda a, p: ([("gate 1 · 0.72", np.zeros((7, 7))),
                                                              ("gate 2", np.ones((7, 7)))], mean))
    ui.export_point(a, a.main_track, 1)
    assert drawn["title"] == "mean gate · 0.72" and drawn["map"] is mean
    monkeypatch.setattr(ui, "spatial_panels", lambda a, p: ([], None))
    with pytest.raises(ui.gr.Error, match="no attention maps"):
        ui.export_point(a, a.main_track, 1)


def test_a_broken_face_model_is_a_message_in_the_labs(tiny_weights, monkeypatch):
    from app import ui
    from lda_model.inference.faces import FaceModelError

    def broken(*_):
        raise FaceModelError("missing file assets/models/face_landmarker.task")

    monkeypatch.setattr(ui, "bundled_face_clip", broken)
    monkeypatch.setattr(ui, "bundled_face_segment", broken)
    with pytest.raises(ui.gr.Error, match="face model could not be loaded: missing file"):
        ui._lab_face("bundled face", None, None, 0, str(tiny_weights))
    with pytest.raises(ui.gr.Error, match="face model could not be loaded"):
        ui.run_forgeries(str(tiny_weights), "any", 0, 2)


def test_the_gates_share_a_colour_scale_and_other_maps_have_their_own():
    from app.ui import scale_group

    names = ["Grad-CAM · 0.92", "gate 1 · 0.68", "gate 2", "activation", "forgery map · 0.91", "Grad-CAM, two scales"]
    assert [scale_group(n) for n in names] == ["Grad-CAM", "gates", "gates", "activation", "forgery map",
                                              "Grad-CAM, two scales"]
