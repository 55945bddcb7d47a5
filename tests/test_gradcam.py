"""inference/gradcam.py: the post-hoc baseline has the grid's shape, follows the target, and runs in inference mode."""

import torch

from lda_model.inference.gradcam import grad_cam


def test_grad_cam_has_the_grid_shape_and_changes_with_the_target(tiny_detector):
    cfg = tiny_detector.config
    torch.manual_seed(0)
    clip = torch.randn(2, cfg.clip_length, 3, cfg.backbone_size, cfg.backbone_size)
    fake = grad_cam(tiny_detector, clip, target=1.0)
    real = grad_cam(tiny_detector, clip, target=-1.0)
    assert fake.shape == real.shape == (2, cfg.grid_size, cfg.grid_size)
    assert float(fake.min()) >= 0.0 and float(fake.max()) <= 1.0 + 1e-6
    assert not torch.allclose(fake, real)  # the evidence for "fake" is not the evidence for "real"


def test_grad_cam_under_inference_mode_leaves_the_model_unchanged(tiny_detector):
    cfg = tiny_detector.config
    clip = torch.randn(1, cfg.clip_length, 3, cfg.backbone_size, cfg.backbone_size)
    before = {k: v.clone() for k, v in tiny_detector.state_dict().items()}
    with torch.inference_mode():
        cam = grad_cam(tiny_detector, clip, stage=1)
    assert cam.shape == (1, cfg.grid_size, cfg.grid_size)
    assert all(torch.equal(before[k], v) for k, v in tiny_detector.state_dict().items())
    assert all(p.grad is None for p in tiny_detector.parameters())


def test_post_hoc_maps_share_the_grid_and_the_two_scale_map_is_the_sum_of_both(tiny_detector):
    from lda_model.inference.gradcam import POST_HOC, post_hoc_maps

    cfg = tiny_detector.config
    torch.manual_seed(0)
    clip = torch.randn(2, cfg.clip_length, 3, cfg.backbone_size, cfg.backbone_size)
    maps = post_hoc_maps(tiny_detector, clip, mirror=False)
    assert set(maps) == set(POST_HOC) - {"forgery_map_cam"}  # no forgery-map head, no map built on it
    assert all(m.shape == (2, cfg.grid_size, cfg.grid_size) for m in maps.values())
    assert all(float(m.min()) >= 0.0 and float(m.max()) <= 1.0 + 1e-6 for m in maps.values())
    assert torch.allclose(maps["grad_cam"], grad_cam(tiny_detector, clip), atol=1e-6)  # one pass, the same map
    both = maps["grad_cam"] + maps["hires_cam"]
    assert torch.allclose(maps["two_scale_cam"], both / both.flatten(1).amax(1)[:, None, None], atol=1e-6)
    assert not torch.allclose(maps["hires_cam"], maps["grad_cam"])  # the fine map is its own


def test_hires_cam_follows_a_local_change_of_the_input(tiny_detector):
    """A change confined to one corner of every frame moves the fine map there more than elsewhere."""
    from lda_model.inference.gradcam import post_hoc_maps

    cfg = tiny_detector.config
    torch.manual_seed(0)
    clip = torch.randn(1, cfg.clip_length, 3, cfg.backbone_size, cfg.backbone_size)
    changed = clip.clone()
    q = cfg.backbone_size // 4
    changed[..., :q, :q] += 3.0 * torch.randn_like(changed[..., :q, :q])
    before, after = (post_hoc_maps(tiny_detector, c)["hires_cam"][0] for c in (clip, changed))
    moved = (after - before).abs()
    g = cfg.grid_size // 4
    assert float(moved[:g, :g].mean()) > 3 * float(moved[2 * g:, 2 * g:].mean())


def test_forgery_map_cam_is_the_mean_of_the_head_and_the_two_scale_map_at_its_own_level(tiny_config):
    """With a forgery-map head: (head + two-scale Grad-CAM) / 2, not stretched to a peak of 1, and only
    towards "fake"."""
    from lda_model.inference.gradcam import post_hoc_maps
    from lda_model.model.detector import LDADetector

    torch.manual_seed(0)
    model = LDADetector(tiny_config.replace(mask_head_from=2)).eval()
    cfg = model.config
    clip = torch.randn(2, cfg.clip_length, 3, cfg.backbone_size, cfg.backbone_size)
    with torch.inference_mode():
        maps = post_hoc_maps(model, clip, mirror=False)
        head = model(clip).forgery_map  # (B, g, g)
    assert maps["forgery_map_cam"].shape == (2, cfg.grid_size, cfg.grid_size)
    assert torch.allclose(maps["forgery_map_cam"], (head + maps["two_scale_cam"]) / 2, atol=1e-5)
    assert float(maps["forgery_map_cam"].amax()) < 1.0 - 1e-3  # the head's sigmoid stays below 1: no peak rescale
    assert "forgery_map_cam" not in post_hoc_maps(model, clip, target=-1.0)


def test_mirrored_maps_are_the_mean_of_both_views_and_follow_a_mirrored_face(tiny_config):
    from lda_model.inference.gradcam import post_hoc_maps
    from lda_model.model.detector import LDADetector

    torch.manual_seed(0)
    model = LDADetector(tiny_config.replace(mask_head_from=2)).eval()
    cfg = model.config
    clip = torch.randn(2, cfg.clip_length, 3, cfg.backbone_size, cfg.backbone_size)
    maps = post_hoc_maps(model, clip)
    own, mirrored = post_hoc_maps(model, clip, mirror=False), post_hoc_maps(model, clip.flip(-1), mirror=False)
    assert set(maps) == set(own)
    for k, m in maps.items():
        assert torch.allclose(m, (own[k] + mirrored[k].flip(-1)) / 2, atol=1e-5), k
        assert not torch.allclose(m, own[k], atol=1e-4), k  # the mirror image's map is its own
    flipped = post_hoc_maps(model, clip.flip(-1))
    assert all(torch.allclose(flipped[k], m.flip(-1), atol=1e-5) for k, m in maps.items())  # a mirrored face, a mirrored map
