"""model/forgery_map.py and the detector's forgery-map head (`LDAConfig.mask_head_from`)."""

import pytest
import torch

from lda_model import LDAConfig, LDADetector
from lda_model.model.forgery_map import ForgeryMapHead, to_grid


def test_to_grid_averages_finer_maps_and_interpolates_coarser_ones():
    fine = torch.zeros(1, 1, 8, 8)
    fine[..., :4, :4] = 1.0  # the top-left quarter
    assert torch.equal(to_grid(fine, 2)[0, 0], torch.tensor([[1.0, 0.0], [0.0, 0.0]]))
    coarse = torch.arange(4.0).view(1, 1, 2, 2)
    out = to_grid(coarse, 4)
    assert out.shape == (1, 1, 4, 4) and out.min() >= 0 and out.max() <= 3
    assert to_grid(coarse, 2) is coarse  # already on the grid


def test_head_maps_every_stage_to_one_grid_in_unit_range():
    head = ForgeryMapHead([4, 8], grid=5).eval()
    out = head([torch.randn(2, 4, 10, 10), torch.randn(2, 8, 3, 3)])
    assert out.shape == (2, 5, 5) and ((out > 0) & (out < 1)).all()
    with pytest.raises(ValueError, match="expected 2 backbone stages, got 1"):
        head([torch.randn(2, 4, 10, 10)])


def test_detector_head_reads_the_stages_but_not_the_score(tiny_config):
    torch.manual_seed(0)
    with_head = LDADetector(tiny_config.replace(mask_head_from=2)).eval()
    plain = LDADetector(tiny_config).eval()
    missing, unexpected = plain.load_state_dict(with_head.state_dict(), strict=False)
    assert not missing and unexpected and all(k.startswith("mask_head.") for k in unexpected)
    clip = torch.randn(3, tiny_config.clip_length, 3, tiny_config.backbone_size, tiny_config.backbone_size)
    out, ref = with_head(clip), plain(clip)
    g = tiny_config.grid_size
    assert out.forgery_map.shape == (3, g, g) and ref.forgery_map is None
    assert torch.allclose(out.logits, ref.logits)  # the head does not feed the score
    assert isinstance(plain.mask_head, torch.nn.Identity) and plain.num_parameters("mask_head") == 0
    channels = with_head.backbone.channels[2:]  # from feature_info, one 1x1 projection per stage read
    assert [c.in_channels for c in with_head.mask_head.lateral] == channels
    assert dict(with_head.describe_shapes())["forgery map"] == (1, g, g) and "forgery map" not in dict(plain.describe_shapes())


def test_head_stage_is_checked_and_off_in_the_presets(tiny_config):
    assert LDAConfig.paper().mask_head_from == -1 and LDAConfig.lite0().mask_head_from == -1
    for bad in (-2, 1.5, "2", True):
        with pytest.raises(ValueError, match="mask_head_from"):
            tiny_config.replace(mask_head_from=bad)
    with pytest.raises(ValueError, match="mask_head_from=5 must be in 0..4"):
        LDADetector(tiny_config.replace(mask_head_from=5))


def test_a_head_checkpoint_round_trips(tiny_config, tmp_path):
    model = LDADetector(tiny_config.replace(mask_head_from=3)).eval()
    model.save_pretrained(tmp_path / "w")
    back = LDADetector.from_pretrained(tmp_path / "w")
    clip = torch.randn(1, tiny_config.clip_length, 3, tiny_config.backbone_size, tiny_config.backbone_size)
    assert back.config.mask_head_from == 3 and torch.allclose(back(clip).forgery_map, model(clip).forgery_map)
