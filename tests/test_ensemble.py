"""MeanEnsemble: mean p(fake) and mean maps of checkpoints that read the same clips; evaluate --weights A --weights B."""

import json

import pytest
import torch

from lda_model import LDAConfig, LDADetector
from lda_model.ensemble import MeanEnsemble

TINY = dict(backbone_size=64, attention_size=32, patch_size=8, embed_dim=16, latent_dim=8, num_modules=3)


def tiny(seed: int, **overrides) -> LDADetector:
    torch.manual_seed(seed)
    return LDADetector(LDAConfig.lite(**{**TINY, **overrides})).eval()


@torch.inference_mode()
def test_mean_of_probabilities_and_maps():
    a, b = tiny(0), tiny(1)
    clip = torch.randn(2, 4, 3, 64, 64)
    oa, ob, oe = a(clip), b(clip), MeanEnsemble([a, b])(clip)
    assert not torch.allclose(oa.probabilities, ob.probabilities)  # two different members
    assert torch.allclose(oe.probabilities, (oa.probabilities + ob.probabilities) / 2, atol=1e-5)
    assert torch.allclose(oe.spatial_maps, (oa.spatial_maps + ob.spatial_maps) / 2)
    assert oe.temporal_maps.shape == oa.temporal_maps.shape and oe.frame_map().shape == (2, 4, 4)
    assert torch.allclose(oe.frame_activation(), (oa.frame_activation() + ob.frame_activation()) / 2, atol=1e-6)
    one = MeanEnsemble([a])(clip)  # one member: its own scores
    assert torch.allclose(one.probabilities, oa.probabilities, atol=1e-5)
    assert MeanEnsemble([a, b]).config is a.config


@torch.inference_mode()
def test_members_with_other_attention_give_no_maps_and_other_inputs_are_refused():
    both, spatial_only = tiny(0), tiny(1, use_temporal=False)
    clip = torch.randn(1, 4, 3, 64, 64)
    out = MeanEnsemble([both, spatial_only])(clip)
    expected = (both(clip).probabilities + spatial_only(clip).probabilities) / 2
    assert torch.allclose(out.probabilities, expected, atol=1e-5)
    assert out.spatial_maps is None and out.temporal_maps is None and out.frame_map() is None  # never a partial mean
    with pytest.raises(ValueError, match="backbone_size"):
        MeanEnsemble([both, tiny(2, backbone_size=96)])
    with pytest.raises(ValueError, match="clip_length"):
        MeanEnsemble([both, tiny(2, num_frames=2)])
    with pytest.raises(ValueError, match="at least one"):
        MeanEnsemble([])


def test_evaluate_scores_an_ensemble(tiny_cache, tiny_weights, tmp_path, capsys):
    from lda_model.evaluate import main

    other = tmp_path / "other"
    tiny(5, name="tiny-random").save_pretrained(other)
    base = ["synthetic", "--data", str(tiny_cache), "--json"]
    assert main(base + ["--weights", str(tiny_weights), "--weights", str(other)]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["weights"] == f"{tiny_weights} + {other}" and rec["video"]["n"] == 2
    assert set(rec["blend_attention"]) == {"activations", "maps"}  # same architecture: maps are averaged
    wide = tmp_path / "wide"
    tiny(6, backbone_size=96).save_pretrained(wide)
    assert main(base + ["--weights", str(tiny_weights), "--weights", str(wide)]) == 2
    assert "backbone_size=96" in capsys.readouterr().err
