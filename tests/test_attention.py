import math

import pytest
import torch

from lda_model.model.attention import LDAAttention, LDAModules, guide_features, motion_residuals, patchify


def test_patchify_raster_order_and_round_trip():
    x = torch.arange(2 * 1 * 3 * 8 * 8, dtype=torch.float32).reshape(2, 1, 3, 8, 8)
    p = patchify(x, 4)  # (B, 4 patches, 3*4*4)
    assert p.shape == (2, 4, 48)
    # patch 1 is the top-right 4x4 block of every channel
    assert torch.equal(p[0, 1].reshape(3, 4, 4), x[0, 0, :, :4, 4:])
    # patch 2 is bottom-left
    assert torch.equal(p[1, 2].reshape(3, 4, 4), x[1, 0, :, 4:, :4])


def test_patchify_time_major_sequence():
    x = torch.randn(1, 3, 3, 8, 8)
    p = patchify(x, 4)
    assert p.shape == (1, 12, 48)
    assert torch.equal(p[0, 4:8], patchify(x[:, 1:2], 4)[0])


def test_patchify_rejects_ragged_sizes():
    with pytest.raises(ValueError, match="multiple of patch size"):
        patchify(torch.zeros(1, 1, 3, 10, 8), 4)


def test_motion_residuals():
    frames = torch.stack([torch.full((3, 2, 2), float(v)) for v in (1, 4, 9, 16)]).unsqueeze(0)
    r = motion_residuals(frames)
    assert r.shape == frames.shape
    assert torch.equal(r[0, 0], frames[0, 0])
    assert [r[0, i, 0, 0, 0].item() for i in range(1, 4)] == [3.0, 5.0, 7.0]


@pytest.mark.parametrize("activation", ["sigmoid", "softmax"])
def test_modules_one_activation_per_patch(activation):
    mods = LDAModules(patch_dim=12, seq_len=5, embed_dim=8, latent_dim=4, num_modules=3, activation=activation)
    a = mods(torch.randn(2, 5, 12))
    assert a.shape == (2, 3, 5)
    if activation == "sigmoid":
        assert ((a > 0) & (a < 1)).all()
    else:
        torch.testing.assert_close(a.sum(-1), torch.full((2, 3), 5.0))


@pytest.mark.parametrize("embed_norm", [True, False])
def test_modules_equal_the_paper_formula_per_module(embed_norm):
    """The folded forward (one GEMM, LayerNorm and U t folded into read-outs) equals
    a_i = sigmoid(U LN(E x_i + p_i) . t / sqrt(K)) computed module by module, gradients included."""
    torch.manual_seed(0)
    mods = LDAModules(patch_dim=12, seq_len=5, embed_dim=8, latent_dim=4, num_modules=3, embed_norm=embed_norm)
    with torch.no_grad():
        for p in mods.parameters():
            p.normal_(0, 0.5)  # non-trivial bias, position embedding, LayerNorm gain and shift
    x = torch.randn(2, 5, 12, requires_grad=True)
    ref = []
    for k in range(3):
        e = x @ mods.proj[k] + mods.proj_bias[k] + mods.pos_embed[k]  # (B, N, D)
        z = mods.norm(e) @ mods.latent[k]  # (B, N, K)
        ref.append(torch.sigmoid(z @ mods.template[k] / 2.0))  # (B, N), sqrt(K) = 2
    ref = torch.stack(ref, 1)  # (B, M, N)
    out = mods(x)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(torch.autograd.grad(out.square().sum(), x)[0],
                               torch.autograd.grad(ref.square().sum(), x)[0])


def test_modules_stay_accurate_in_bfloat16_with_a_large_offset():
    """Under bf16 autocast (training on a GPU) the folded LayerNorm must not lose the variance to
    cancellation when the embeddings share a large offset (a constant bias of 20 per dimension; an
    E[e^2] - mean^2 variance was off by 0.5 in activation here)."""
    torch.manual_seed(0)
    mods = LDAModules(patch_dim=48, seq_len=16, embed_dim=64, latent_dim=32, num_modules=3)
    with torch.no_grad():
        mods.proj_bias.fill_(20.0)
    x = torch.randn(2, 16, 48)
    ref = []
    for k in range(3):
        z = mods.norm(x @ mods.proj[k] + mods.proj_bias[k] + mods.pos_embed[k]) @ mods.latent[k]
        ref.append(z @ mods.template[k] / math.sqrt(32))  # (B, N) scores, fp32
    ref = torch.sigmoid(torch.stack(ref, 1))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = mods(x)
    assert (out.float() - ref).abs().max() < 0.02


def test_modules_are_independent_latent_spaces():
    """Changing module 1's template changes only module 1's activations."""
    mods = LDAModules(patch_dim=12, seq_len=5, embed_dim=8, latent_dim=4, num_modules=3)
    x = torch.randn(2, 5, 12)
    before = mods(x)
    with torch.no_grad():
        mods.template[1] += 1.0
    after = mods(x)
    assert torch.equal(before[:, [0, 2]], after[:, [0, 2]])
    assert not torch.allclose(before[:, 1], after[:, 1])


def test_attention_maps_shape_and_range():
    att = LDAAttention(image_size=16, patch_size=4, num_steps=3, embed_dim=8, latent_dim=4, num_modules=5, num_maps=2)
    maps = att(torch.randn(2, 3, 3, 16, 16))
    assert maps.shape == (2, 2, 3, 4, 4)
    assert ((maps > 0) & (maps < 1)).all()
    with pytest.raises(ValueError, match="expected 3 images"):
        att(torch.randn(2, 2, 3, 16, 16))


def test_activations_are_per_module_per_step_per_patch():
    """`activations` lays the sequence out as (B, M, T, g, g); a patch touches only its own cell."""
    att = LDAAttention(image_size=16, patch_size=4, num_steps=3, embed_dim=8, latent_dim=4, num_modules=5, num_maps=2)
    images = torch.randn(2, 3, 3, 16, 16)
    act = att.activations(images)
    assert act.shape == (2, 5, 3, 4, 4) and ((act > 0) & (act < 1)).all()
    torch.testing.assert_close(att.combine_maps(act), att(images))
    changed = images.clone()
    changed[:, 1, :, 4:8, 8:12] += 1.0  # step 1, patch row 1, column 2
    diff = (att.activations(changed) - act).abs().amax(dim=(0, 1))  # (T, g, g)
    assert diff[1, 1, 2] > 0
    diff[1, 1, 2] = 0
    assert diff.max() == 0


def test_position_embedding_spans_time():
    """The same patch content at another time step gets another activation (time-aware positions)."""
    att = LDAAttention(image_size=8, patch_size=4, num_steps=2, embed_dim=8, latent_dim=4, num_modules=2, num_maps=1)
    with torch.no_grad():
        att.lda.pos_embed.normal_()
    frame = torch.randn(1, 1, 3, 8, 8)
    maps = att(torch.cat([frame, frame], dim=1))
    assert not torch.allclose(maps[:, :, 0], maps[:, :, 1])


def test_guide_features_channel_groups():
    feats = torch.ones(1, 6, 4, 4)
    maps = torch.stack([torch.full((2, 2), 0.5), torch.full((2, 2), 0.25)]).unsqueeze(0)  # (1, 2, 2, 2)
    out = guide_features(feats, maps)
    assert out.shape == feats.shape
    assert torch.allclose(out[0, :3], torch.full((3, 4, 4), 0.5))
    assert torch.allclose(out[0, 3:], torch.full((3, 4, 4), 0.25))
    res = guide_features(feats, maps, mode="residual")
    assert torch.allclose(res[0, :3], torch.full((3, 4, 4), 1.5))


def test_guide_features_more_maps_than_channels_is_fine():
    out = guide_features(torch.ones(1, 3, 5, 5), torch.rand(1, 5, 2, 2))
    assert out.shape == (1, 3, 5, 5)


def test_patch_mixer_lets_a_patch_see_the_others():
    torch.manual_seed(0)
    literal = LDAAttention(image_size=16, patch_size=4, num_steps=1, embed_dim=8, latent_dim=4, num_modules=2,
                           num_maps=2).eval()
    mixed = LDAAttention(image_size=16, patch_size=4, num_steps=1, embed_dim=8, latent_dim=4, num_modules=2,
                         num_maps=2, mixer_layers=1).eval()
    assert isinstance(literal.mixer, torch.nn.Identity)
    x = torch.randn(1, 1, 3, 16, 16)
    y = x.clone()
    y[..., :4, :4] += 1.0  # change patch 0 only
    for module, others_change in ((literal, False), (mixed, True)):
        a, b = module.activations(x), module.activations(y)  # (1, M, 1, 4, 4)
        assert a.shape == (1, 2, 1, 4, 4)
        rest = (a - b).abs()[..., 1:, :].max()  # patches outside the changed row
        assert bool(rest > 1e-6) is others_change
