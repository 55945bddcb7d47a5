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
