"""Long distance attention (LDA): per-patch activation against learned forgery templates.

One LDA module (paper section IV.B) does, for every s x s patch of its input:

    e_i = LayerNorm(E x_i + p_i)      patch embedding E (P -> D) plus position embedding p_i
    z_i = U e_i                        U maps into the latent forgery-property space (D -> K)
    a_i = act(z_i . t / sqrt(K))       consult the module's global forgery template t (K,)

so one activation rate per patch. The template is shared by every patch of the sequence
however far apart the patches are: that is the "long distance" part. `LDAModules` runs
`num_modules` such modules side by side as one GEMM (read-out and LayerNorm folded in), and `LDAAttention` combines
them with a 1x1 convolution into m maps (section IV.C), for one frame (spatial) or for a
frame plus its motion residuals laid out as one sequence (temporal, section IV.D).
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn


@functools.lru_cache(maxsize=1)
def cpu_has_native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (x86 AVX512-BF16 or AMX): there a bf16 GEMM
    runs 2-3x faster than fp32; elsewhere it is emulated, and slower."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """(B, T, C, H, W) -> (B, T * (H/s) * (W/s), C * s * s), patches in raster order per frame."""
    b, t, c, h, w = images.shape
    s = patch_size
    if h % s or w % s:
        raise ValueError(f"image size {h}x{w} is not a multiple of patch size {s}")
    x = images.reshape(b, t, c, h // s, s, w // s, s)  # (B, T, C, gh, s, gw, s)
    x = x.permute(0, 1, 3, 5, 2, 4, 6)  # (B, T, gh, gw, C, s, s)
    return x.reshape(b, t * (h // s) * (w // s), c * s * s)  # (B, N, P)


def motion_residuals(frames: torch.Tensor) -> torch.Tensor:
    """(B, n+1, C, H, W) frames -> the temporal model's input [I_t, I_t+1 - I_t, ..., I_t+n - I_t+n-1]."""
    return torch.cat([frames[:, :1], frames[:, 1:] - frames[:, :-1]], dim=1)  # (B, n+1, C, H, W)


class LDAModules(nn.Module):
    """`num_modules` LDA modules side by side over one patch sequence of length `seq_len`.

    Each module has its own projection E, position embedding, U and template t, stored
    stacked so all modules run in one GEMM. Returns activations (B, M, N).
    """

    def __init__(
        self,
        patch_dim: int,
        seq_len: int,
        embed_dim: int,
        latent_dim: int,
        num_modules: int,
        activation: str = "sigmoid",
        embed_norm: bool = True,
    ) -> None:
        super().__init__()
        self.num_modules = num_modules
        self.activation = activation
        self.proj = nn.Parameter(torch.empty(num_modules, patch_dim, embed_dim))  # E: (M, P, D)
        self.proj_bias = nn.Parameter(torch.zeros(num_modules, 1, embed_dim))  # (M, 1, D)
        self.pos_embed = nn.Parameter(torch.zeros(num_modules, seq_len, embed_dim))  # (M, N, D)
        self.norm = nn.LayerNorm(embed_dim) if embed_norm else nn.Identity()
        self.latent = nn.Parameter(torch.empty(num_modules, embed_dim, latent_dim))  # U: (M, D, K)
        self.template = nn.Parameter(torch.empty(num_modules, latent_dim))  # t: (M, K)
        # Set by LDADetector.for_inference on CPUs with hardware bf16: the GEMM that only feeds the
        # LayerNorm's variance runs in bf16 without gradients (the variance moves by < 1 % relative,
        # activations by ~1e-3; everything else stays fp32). It is half of the LDA branches' time.
        self.variance_dtype: torch.dtype | None = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        patch_dim, embed_dim = self.proj.shape[1:]
        nn.init.normal_(self.proj, std=1.0 / math.sqrt(patch_dim))
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.normal_(self.latent, std=1.0 / math.sqrt(embed_dim))
        nn.init.normal_(self.template, std=1.0)

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        # patches: (B, N, P). All modules' projections run as one GEMM, and U and t are folded into
        # one read-out vector r per module (z . t = LN(e) . (U t)). The LayerNorm is folded in too,
        # on embeddings centred by construction (E and the offsets minus their mean over D, so
        # e_c = e - mean(e) exactly and its variance needs no cancelling E[e^2] - mean^2, which low
        # precision would ruin): LN(e) . r = e_c . (g*r) / std(e) + b . r, and e_c . (g*r) is the
        # patch times E_c (g*r). Beside the GEMM only one norm reads e_c;
        # neither the normalised (B, N, M, D) tensor nor the (B, M, N, K) latent one is made.
        b, n, p = patches.shape
        m, _, d = self.proj.shape
        proj = self.proj - self.proj.mean(-1, keepdim=True)  # (M, P, D), centred over D
        offset = self.proj_bias.transpose(0, 1) + self.pos_embed.transpose(0, 1)  # (N, M, D)
        readout = torch.einsum("mdk,mk->md", self.latent, self.template) / math.sqrt(self.latent.shape[-1])  # (M, D)
        norm = self.norm if isinstance(self.norm, nn.LayerNorm) else None
        if norm is None:  # no LayerNorm: a linear read-out of e itself, no GEMM needed
            return self._activate((patches @ torch.einsum("mpd,md->pm", self.proj, readout)
                                   + (offset * readout).sum(-1)).transpose(1, 2))  # (B, M, N)
        offset = offset - offset.mean(-1, keepdim=True)  # (N, M, D), centred over D
        scaled = readout * norm.weight  # (M, D): g * r
        dots = patches @ torch.einsum("mpd,md->pm", proj, scaled) + (offset * scaled).sum(-1)  # (B, N, M)
        flat, weight = patches.reshape(b * n, p), proj.permute(1, 0, 2).reshape(p, m * d)  # (B*N, P), (P, M*D)
        if self.variance_dtype is not None and not torch.is_grad_enabled() and patches.device.type == "cpu":
            flat, weight = flat.to(self.variance_dtype), weight.to(self.variance_dtype)
        e = (flat @ weight).view(b, n, m * d)
        e = e.add_(offset.reshape(n, m * d).to(e.dtype)).view(b, n, m, d)  # (B, N, M, D): e_c
        # the norm accumulates in fp32 whatever e's dtype (a bf16 result is rounded once, ~4e-3)
        var = torch.linalg.vector_norm(e, dim=-1).float().square() / d  # (B, N, M)
        scores = dots * torch.rsqrt(var + norm.eps) + readout @ norm.bias  # (B, N, M)
        return self._activate(scores.transpose(1, 2))  # (B, M, N)

    def _activate(self, scores: torch.Tensor) -> torch.Tensor:
        """(B, M, N) scores -> activations."""
        if self.activation == "sigmoid":
            return torch.sigmoid(scores)
        # softmax over the whole sequence, scaled so that a flat distribution is 1 per patch
        return scores.softmax(dim=-1) * scores.shape[-1]


class PatchMixer(nn.Module):
    """Pre-norm self-attention over the patch sequence: (B, N, P) patches -> (B, N, W) tokens.

    An extension (`LDAConfig.patch_mixer`), not in the paper: the literal module scores every
    patch from its own pixels; after this, each token has seen every other patch of the sequence.
    """

    def __init__(self, patch_dim: int, seq_len: int, width: int, layers: int, heads: int = 4) -> None:
        super().__init__()
        self.embed = nn.Linear(patch_dim, width)
        self.pos_embed = nn.Parameter(torch.zeros(1, seq_len, width))  # (1, N, W)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        layer = nn.TransformerEncoderLayer(width, heads, dim_feedforward=2 * width, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        x = self.embed(patches) + self.pos_embed  # (B, N, W)
        return self.blocks(x)  # (B, N, W)


class LDAAttention(nn.Module):
    """LDA over `num_steps` images at once -> m maps per image on the patch grid.

    Spatial model: num_steps = 1 (the frame). Temporal model: num_steps = n + 1 (the frame
    and its n motion residuals), all patches in one sequence with position embeddings over
    time and space. The per-module activations of each step are combined by a shared 1x1
    convolution into `num_maps` maps, squashed by a sigmoid so they can gate features.
    """

    def __init__(
        self,
        image_size: int,
        patch_size: int,
        num_steps: int,
        embed_dim: int,
        latent_dim: int,
        num_modules: int,
        num_maps: int,
        in_chans: int = 3,
        activation: str = "sigmoid",
        embed_norm: bool = True,
        mixer_layers: int = 0,
    ) -> None:
        super().__init__()
        self.image_size = image_size
        self.patch_size = patch_size
        self.num_steps = num_steps
        self.grid = image_size // patch_size
        patch_dim = in_chans * patch_size * patch_size
        seq_len = num_steps * self.grid * self.grid
        self.mixer = (PatchMixer(patch_dim, seq_len, embed_dim, mixer_layers) if mixer_layers
                      else nn.Identity())  # (B, N, P) -> (B, N, D) tokens, or the raw patches
        self.lda = LDAModules(embed_dim if mixer_layers else patch_dim, seq_len, embed_dim, latent_dim, num_modules,
                              activation, embed_norm)
        self.combine = nn.Conv2d(num_modules, num_maps, kernel_size=1)  # the paper's 1x1 conv

    def activations(self, images: torch.Tensor) -> torch.Tensor:
        """(B, T, C, A, A) images at attention size -> (B, M, T, g, g): each module's activation per patch."""
        b, t = images.shape[:2]
        g = self.grid
        if t != self.num_steps:
            raise ValueError(f"expected {self.num_steps} images per sample, got {t}")
        act = self.lda(self.mixer(patchify(images, self.patch_size)))  # (B, M, T*g*g)
        return act.reshape(b, -1, t, g, g)  # (B, M, T, g, g)

    def combine_maps(self, act: torch.Tensor) -> torch.Tensor:
        """(B, M, T, g, g) module activations -> (B, m, T, g, g) maps in (0, 1)."""
        b, _, t, g, _ = act.shape
        x = act.transpose(1, 2).reshape(b * t, -1, g, g)  # (B*T, M, g, g)
        maps = torch.sigmoid(self.combine(x)).reshape(b, t, -1, g, g)  # (B, T, m, g, g)
        return maps.transpose(1, 2)  # (B, m, T, g, g)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(B, T, C, A, A) images at attention size -> (B, m, T, g, g) maps in (0, 1)."""
        return self.combine_maps(self.activations(images))


def guide_features(features: torch.Tensor, maps: torch.Tensor, mode: str = "multiply") -> torch.Tensor:
    """Multiply m maps (B, m, g, g) into C feature channels (B, C, H, W).

    The maps are resized to the features' grid (bilinear) and channel c is gated by map
    floor(c * m / C): m contiguous channel groups, one per map (any C and m work).
    """
    b, c, h, w = features.shape
    m = maps.shape[1]
    gate = F.interpolate(maps, size=(h, w), mode="bilinear", align_corners=False)  # (B, m, H, W)
    group = torch.div(torch.arange(c, device=features.device) * m, c, rounding_mode="floor")  # (C,)
    gate = gate.index_select(1, group)  # (B, C, H, W)
    if mode == "residual":
        return features * (1.0 + gate)
    return features * gate
