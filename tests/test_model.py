import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import timm
import torch

from lda_model import LDAConfig, LDADetector, UnsafeWeightsError


def clip_for(cfg: LDAConfig, batch: int = 2) -> torch.Tensor:
    return torch.randn(batch, cfg.clip_length, 3, cfg.backbone_size, cfg.backbone_size)


@pytest.mark.parametrize("preset", ["lite", "paper"])
def test_preset_shapes(preset):
    cfg = getattr(LDAConfig, preset)()
    assert cfg.grid_size == 14 and cfg.num_modules == 12 and cfg.num_maps == 4 and cfg.num_frames == 3
    model = LDADetector(cfg).eval()
    with torch.inference_mode():
        out = model(clip_for(cfg, batch=1))
    assert out.logits.shape == (1,)
    assert out.spatial_maps.shape == (1, 4, 14, 14)
    assert out.temporal_maps.shape == (1, 4, 4, 14, 14)
    assert out.temporal_guide.shape == (1, 4, 14, 14)
    assert out.spatial_activations.shape == (1, 12, 14, 14)  # the modules' own activations, before the 1x1 conv
    assert out.temporal_activations.shape == (1, 12, 4, 14, 14)
    assert torch.isfinite(out.logits).all()


def test_paper_preset_matches_the_paper():
    cfg = LDAConfig.paper()
    assert (cfg.backbone, cfg.backbone_size, cfg.attention_size, cfg.patch_size) == ("legacy_xception", 398, 224, 16)
    assert cfg.name == "paper" and LDAConfig.paper(name="paper-run", num_maps=2).name == "paper-run"  # train --name
    assert LDAConfig.lite(name="lite-run").name == "lite-run"


@pytest.mark.parametrize("m", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_map_and_frame_grid(tiny_config, m, n):
    cfg = tiny_config.replace(num_maps=m, num_frames=n)
    out = LDADetector(cfg).eval()(clip_for(cfg))
    g = cfg.grid_size
    assert out.spatial_maps.shape == (2, m, g, g)
    assert out.temporal_maps.shape == (2, m, n + 1, g, g)


def test_wrong_clip_shape_is_a_clear_error(tiny_config):
    model = LDADetector(tiny_config)
    with pytest.raises(ValueError, match="expected a clip of shape"):
        model(torch.randn(1, 2, 3, 64, 64))


def _copy_weights_in_order(dst: torch.nn.Module, src: torch.nn.Module) -> None:
    dst_sd, src_sd = dst.state_dict(), src.state_dict()
    src_items = [(k, v) for k, v in src_sd.items() if not k.startswith("body.fc.")]
    assert len(dst_sd) == len(src_items)
    for (dk, dv), (_, sv) in zip(dst_sd.items(), src_items):
        assert dv.shape == sv.shape, dk
        dv.copy_(sv)


@pytest.mark.parametrize("backbone", ["lda_xception_w25", "legacy_xception"])
def test_both_branches_off_is_the_plain_backbone(backbone):
    cfg = LDAConfig.lite(backbone=backbone, backbone_size=96, use_spatial=False, use_temporal=False)
    model = LDADetector(cfg).eval()
    assert isinstance(model.spatial, torch.nn.Identity) and isinstance(model.temporal, torch.nn.Identity)
    assert model.num_parameters() == model.num_parameters("backbone") + model.head.weight.numel() + 1
    reference = timm.create_model(backbone, features_only=True).eval()
    _copy_weights_in_order(model.backbone, reference)
    clip = clip_for(cfg)
    with torch.inference_mode():
        features, out = model.forward_features(clip)
        expected = reference(clip[:, 0])[-1]  # timm's own last feature map of frame t
    torch.testing.assert_close(features, expected)
    assert out.spatial_maps is None and out.temporal_maps is None
    # the later frames do not matter to the baseline
    clip2 = clip.clone()
    clip2[:, 1:] = torch.randn_like(clip2[:, 1:])
    with torch.inference_mode():
        torch.testing.assert_close(model(clip).logits, model(clip2).logits)


def test_channel_counts_come_from_feature_info():
    model = LDADetector(LDAConfig.lite())
    assert model.backbone.channels == [16, 32, 64, 184, 512]
    assert model.head.in_features == model.backbone.channels[-1]


def test_spatial_switch(tiny_config):
    cfg = tiny_config.replace(use_temporal=False)
    model = LDADetector(cfg).eval()
    clip = clip_for(cfg)
    out = model(clip)
    assert out.spatial_maps is not None and out.temporal_maps is None
    assert out.spatial_activations is not None and out.temporal_activations is None
    # the spatial branch really guides the backbone: other maps -> other logits
    with torch.no_grad():
        model.spatial.combine.bias.add_(3.0)
    assert not torch.allclose(out.logits, model(clip).logits)
    # only frame t matters to the spatial-only model
    clip2 = clip.clone()
    clip2[:, 1:] = 0
    torch.testing.assert_close(model(clip).logits, model(clip2).logits)


def test_temporal_switch_uses_following_frames(tiny_config):
    cfg = tiny_config.replace(use_spatial=False)
    model = LDADetector(cfg).eval()
    clip = clip_for(cfg)
    out = model(clip)
    assert out.spatial_maps is None and out.temporal_maps is not None
    # the following frames change the temporal guide (by >= 0.009 over 300 random inits; the logit itself
    # moved by only ~1e-7 at random init in 4 % of them, too little for allclose to see)
    clip2 = clip.clone()
    clip2[:, 2:] = torch.randn_like(clip2[:, 2:])
    assert (out.temporal_guide - model(clip2).temporal_guide).abs().max() > 1e-3
    # and the guide gates the backbone: other maps -> other logits
    with torch.no_grad():
        model.temporal.combine.bias.add_(3.0)
    assert not torch.allclose(out.logits, model(clip).logits)


def test_gradients_reach_every_lda_parameter(tiny_config):
    model = LDADetector(tiny_config).train()
    clip = clip_for(tiny_config, batch=4)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(model(clip).logits, torch.tensor([0.0, 1.0, 0.0, 1.0]))
    loss.backward()
    for branch in (model.spatial, model.temporal):
        for name in ("proj", "pos_embed", "latent", "template"):
            grad = getattr(branch.lda, name).grad
            assert grad is not None and grad.abs().sum() > 0, name
        assert branch.combine.weight.grad.abs().sum() > 0


def test_save_and_load_round_trip(tmp_path, tiny_config):
    model = LDADetector(tiny_config.replace(num_maps=3, num_frames=2)).eval()
    model.save_pretrained(tmp_path)
    assert {"config.json", "model.safetensors"} <= {p.name for p in tmp_path.iterdir()}
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["num_maps"] == 3
    loaded = LDADetector.from_pretrained(tmp_path)
    assert loaded.config == model.config
    clip = clip_for(model.config)
    with torch.inference_mode():
        a, b = model(clip), loaded(clip)
    torch.testing.assert_close(a.logits, b.logits, rtol=0, atol=0)
    torch.testing.assert_close(a.temporal_maps, b.temporal_maps, rtol=0, atol=0)


def test_for_inference_same_numbers_and_saves(tmp_path, tiny_config):
    model = LDADetector(tiny_config).eval()
    fast = LDADetector(tiny_config)
    fast.load_state_dict(model.state_dict())
    assert fast.for_inference(bf16_variance=False) is fast and not fast.training
    convs = [m.weight for m in fast.modules() if isinstance(m, torch.nn.Conv2d) and m.weight.shape[1] > 1 and m.weight.shape[-1] > 1]
    assert convs and all(w.is_contiguous(memory_format=torch.channels_last) and not w.is_contiguous() for w in convs)
    clip = clip_for(tiny_config)
    with torch.inference_mode():
        a, b = model(clip), fast(clip)
    torch.testing.assert_close(a.logits, b.logits, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(a.spatial_maps, b.spatial_maps, rtol=1e-5, atol=1e-5)
    fast.save_pretrained(tmp_path)  # non-contiguous weights are written row-major
    loaded = LDADetector.from_pretrained(tmp_path)
    for (k, v), w in zip(model.state_dict().items(), loaded.state_dict().values()):
        torch.testing.assert_close(v, w, rtol=0, atol=0, msg=k)


def test_bf16_variance_only_under_inference_and_close(tiny_config):
    """for_inference(bf16_variance=True): the variance GEMM in bf16 moves maps and logits by far less
    than 1e-2; with gradients on (training) the modules compute in fp32 exactly as before."""
    from lda_model.model.attention import LDAModules

    model = LDADetector(tiny_config).eval()
    fast = LDADetector(tiny_config)
    fast.load_state_dict(model.state_dict())
    fast.for_inference(bf16_variance=True)
    assert {m.variance_dtype for m in fast.modules() if isinstance(m, LDAModules)} == {torch.bfloat16}
    clip = clip_for(tiny_config)
    with torch.inference_mode():
        a, b = model(clip), fast(clip)
    torch.testing.assert_close(a.logits, b.logits, rtol=0, atol=1e-2)
    torch.testing.assert_close(a.temporal_maps, b.temporal_maps, rtol=0, atol=1e-2)
    assert not torch.equal(a.temporal_maps, b.temporal_maps)  # bf16 did run
    with torch.enable_grad():
        c = fast(clip)
    torch.testing.assert_close(a.temporal_maps, c.temporal_maps, rtol=1e-5, atol=1e-5)
    assert LDADetector(tiny_config).for_inference(bf16_variance=False).spatial.lda.variance_dtype is None


def test_load_is_strict(tmp_path, tiny_config):
    LDADetector(tiny_config).save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["num_maps"] = 5  # weights no longer fit the architecture
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(RuntimeError):
        LDADetector.from_pretrained(tmp_path)


def test_pickle_checkpoints_are_refused(tmp_path, tiny_config):
    model = LDADetector(tiny_config)
    model.save_pretrained(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    torch.save(model.state_dict(), tmp_path / "pytorch_model.bin")
    with pytest.raises(UnsafeWeightsError, match="pickle"):
        LDADetector.from_pretrained(tmp_path)


def make_hub_cache(cache: Path, repo_id: str, src: Path, commit: str = "a" * 40) -> str:
    """Lay out `src` as huggingface_hub's cache would after a download of repo_id@main."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snap = repo / "snapshots" / commit
    snap.mkdir(parents=True)
    for f in src.iterdir():
        (snap / f.name).write_bytes(f.read_bytes())
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    return commit


@pytest.mark.slow
def test_load_by_repo_id_offline_from_hub_cache(tmp_path, tiny_config):
    src = tmp_path / "src"
    model = LDADetector(tiny_config.replace(num_maps=2)).eval()
    model.save_pretrained(src)
    cache = tmp_path / "hub"
    commit = make_hub_cache(cache, "someorg/lda-tiny", src)
    torch.manual_seed(0)
    clip = clip_for(model.config, batch=1)
    torch.save(clip, tmp_path / "clip.pt")
    with torch.inference_mode():
        expected = model(clip).logits.item()
    code = (
        "import sys, torch; sys.path.insert(0, sys.argv[1]);"
        "from lda_model import LDADetector;"
        "m = LDADetector.from_pretrained('someorg/lda-tiny', revision=sys.argv[3]);"
        "clip = torch.load(sys.argv[2]);"
        "print(repr(m(clip).logits.item()), m.config.num_maps)"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache)}
    root = str(Path(__file__).resolve().parents[1])
    for revision in ("main", commit):
        res = subprocess.run([sys.executable, "-c", code, root, str(tmp_path / "clip.pt"), revision],
                             env=env, capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        value, maps = res.stdout.split()
        assert float(value) == expected and maps == "2"
    # an unknown repo offline fails (no silent random weights)
    res = subprocess.run([sys.executable, "-c", code, root, str(tmp_path / "clip.pt"), "main"],
                         env={**env, "HF_HUB_CACHE": str(tmp_path / "empty")}, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode != 0


def test_config_validation():
    with pytest.raises(ValueError, match="multiple of patch_size"):
        LDAConfig.paper(attention_size=220)
    with pytest.raises(ValueError, match="temporal_reduce"):
        LDAConfig.lite(temporal_reduce="median")
    with pytest.raises(ValueError, match="unknown LDAConfig fields"):
        LDAConfig.from_dict({"num_maps": 2, "bogus": 1})
    assert LDAConfig.from_dict(LDAConfig.lite().to_dict()) == LDAConfig.lite()


def test_temporal_reduce_max(tiny_config):
    model = LDADetector(tiny_config.replace(temporal_reduce="max")).eval()
    out = model(clip_for(model.config))
    torch.testing.assert_close(out.temporal_guide, out.temporal_maps.amax(dim=2))


def test_spatial_modules_can_read_backbone_features(tiny_config):
    cfg = tiny_config.replace(spatial_input_stage=1, use_temporal=False)  # stage 1: stride 4, 16 px side at 64 px
    model = LDADetector(cfg).eval()
    q = model.spatial_cells
    assert q == 4 and model.spatial.lda.proj.shape[1] == model.backbone.channels[1] * q * q  # 16 px / g = 4 -> 4x4 cells
    assert dict(model.describe_shapes())["spatial patches"] == (1, cfg.grid_size**2, model.backbone.channels[1] * q * q)
    clip = clip_for(cfg)
    out = model(clip)
    assert out.spatial_maps.shape == (2, cfg.num_maps, cfg.grid_size, cfg.grid_size)
    # the maps come from the backbone's (ungated) stage-1 features, the same ones forward_attention computes alone
    torch.testing.assert_close(model.forward_attention(clip).spatial_maps, out.spatial_maps)
    stage1 = model.backbone.stages[1](model.backbone.stages[0](clip[:, 0]))
    torch.testing.assert_close(model.forward_attention(clip, features=stage1).spatial_activations,
                               out.spatial_activations)
    # other features -> other activations; the activations' gradients reach the backbone's first stages
    assert not torch.allclose(model.forward_attention(clip, features=stage1 + 1).spatial_activations,
                              out.spatial_activations)
    model.train()
    model(clip).spatial_activations.sum().backward()
    assert model.backbone.stages[0][0].weight.grad.abs().sum() > 0


def test_spatial_input_stage_is_checked_and_off_in_the_paper_preset():
    assert LDAConfig.paper().spatial_input_stage == -1 and LDAConfig.lite0().spatial_input_stage == -1
    with pytest.raises(ValueError, match="spatial_input_stage=2 must be <= spatial_stage"):
        LDAConfig.lite(spatial_input_stage=2)
    for bad in (-2, 1.5, True):
        with pytest.raises(ValueError, match="-1 \\(pixels\\)"):
            LDAConfig.lite(spatial_input_stage=bad)
    assert LDAConfig.lite(spatial_input_stage=2, use_spatial=False).spatial_input_stage == 2  # unused: not bounded


def test_a_bool_field_refuses_a_string():
    with pytest.raises(ValueError, match="use_spatial must be true or false, got 'False'"):
        LDAConfig.lite(use_spatial="False")
    assert LDAConfig.lite(use_spatial=False).use_spatial is False
