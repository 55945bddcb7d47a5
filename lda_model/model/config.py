"""`LDAConfig`: every hyper-parameter of the long distance attention detector.

One dataclass, nanoGPT style: each field says why it exists. The paper (Lu et al.,
arXiv 2106.12832, sections IV.B-D) fixes some of these; where it is silent the chosen
value and the reason are written next to the field.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

ACTIVATIONS = ("sigmoid", "softmax")
TEMPORAL_REDUCTIONS = ("mean", "max")
GUIDANCE_MODES = ("multiply", "residual")
# n + 1 for the largest n the paper's Table VII compares (n = 5): training segments hold this many frames
# and analysis points are planned for it, so every variant of the table reads the same frames.
MAX_CLIP_LENGTH = 6


@dataclass
class LDAConfig:
    # --- backbone ---------------------------------------------------------------
    # timm model name. The paper uses Xception (12 main blocks); timm calls the original
    # Keras/Chollet architecture `legacy_xception`.
    backbone: str = "legacy_xception"
    # Side of the square face crop the backbone sees. The paper resizes to 398x398.
    backbone_size: int = 398
    # Index into the backbone's `feature_info` after which the *spatial* maps multiply the
    # features. The paper guides "shallow" features; for legacy_xception index 1 is the
    # output of block1 (128 channels, stride 4), the first of the 12 main blocks. (Measured,
    # lite: index 0, the stem, val 0.905 vs 0.924, test 0.933 vs 0.907; README "Where the spatial
    # maps act".)
    spatial_stage: int = 1
    # Index into `feature_info` after which the *temporal* maps multiply the features: the
    # paper's "mid-level" features between its backbone layers 2 and 3. legacy_xception's
    # feature taps are: 0 stem (64 ch, /2), 1 block1 (128, /4), 2 block2 (256, /8),
    # 3 blocks 3-11 (728, /16), 4 block12 + exit (2048, /32); index 2 (block2's output,
    # the middle of the four downsamplings) is the mid-level tap (measured, lite: index 3 val
    # 0.883 vs 0.924, test 0.933 vs 0.907).
    temporal_stage: int = 2
    # ImageNet weights the backbone starts from in training: "" (random init, the paper preset
    # and the Xception lite preset) or "imagenet" (the converted wheel, `pretrained.py`). A trained
    # checkpoint holds the whole network, so this only records how training began.
    backbone_pretrained: str = ""
    # Dropout before the classifier; the paper does not say, timm's Xception uses none.
    # Measured (lite, README "Residual guidance and dropout"): 0.3 scored val 0.909 vs 0.924.
    drop_rate: float = 0.0

    # --- long distance attention ------------------------------------------------
    # Side of the frame the LDA modules see (the paper: 224x224).
    attention_size: int = 224
    # Patch side s (the paper: 16, so a 14x14 grid at 224x224). The lite preset keeps the 14x14
    # grid (8 px patches at 112); 16 px patches over its whole 128 px frame (an 8x8 grid) measured
    # val 0.917 vs 0.924, test 0.872 vs 0.907 (README "Where the spatial maps act").
    patch_size: int = 16
    # D, the width of the patch embedding. The paper leaves it open; 256 keeps the 12
    # modules' projections (12 x 768 x 256 weights) small next to the backbone.
    embed_dim: int = 256
    # Width of the latent "forgery property" space that U maps into and the template t
    # lives in. Not given in the paper; half of D.
    latent_dim: int = 128
    # Number of LDA modules side by side, each with its own projection, position
    # embedding, U and t (the paper: 12 latent spaces).
    num_modules: int = 12
    # m, the number of attention maps the 1x1 convolution makes from the modules
    # (the paper: 4 is best, 1-5 compared in Table VI).
    num_maps: int = 4
    # n, how many following frames the temporal model sees as motion residuals
    # (the paper: 3 is best, 2-5 compared in Table VII).
    num_frames: int = 3
    # How a module turns "patch latent . template" into an activation rate. The paper
    # calls it a confidence; a per-patch sigmoid keeps each patch independent. "softmax"
    # normalises over all patches of the module's sequence (scaled so a flat map is 1).
    # Measured (lite, README "The LayerNorm and the sigmoid"): softmax val 0.929 vs 0.924, within noise.
    activation: str = "sigmoid"
    # LayerNorm on the patch embeddings before U (ViT-style). Not in the paper; it keeps
    # the scores' scale independent of image contrast, which matters when training from
    # scratch. Set False for the literal linear module (measured, lite: val 0.901 vs 0.924,
    # test 0.872 vs 0.907; README "The LayerNorm and the sigmoid").
    embed_norm: bool = True
    # Self-attention layers over the patch sequence before the modules (0: the paper's literal
    # module, where each patch's activation sees only its own s x s pixels). A blend boundary or a
    # colour mismatch is a relation between patches, which a lone patch cannot see; one token-mixing
    # layer lets each patch compare itself with the rest of the face before consulting the templates.
    patch_mixer: int = 0
    # What the spatial LDA modules cut into patches: -1, the paper's s x s patches of frame t's raw
    # pixels at attention_size; k >= 0, frame t's output of backbone stage k (before any gating),
    # resampled so the g x g grid holds q x q feature cells per patch. With a pretrained backbone a
    # patch then carries features with a receptive field several patches wide: a blend's seam or a
    # colour shift is texture and context that one 8 x 8 pixel patch cannot see. Needs
    # k <= spatial_stage and k <= temporal_stage (the stage is read before it is gated); the
    # temporal modules keep reading pixel residuals (features of every frame would cost n more backbone
    # passes). Tried on lite0 and not adopted: docs/experiments.md.
    spatial_input_stage: int = -1
    # A forgery-map head (not in the paper; Face X-ray's supervision, Li et al. 2020): from backbone
    # stage k on, every stage's output is projected, resampled to the g x g grid and summed, and a
    # small convolution predicts each patch's blended fraction, taught by `train --mask-loss` with the
    # blend masks the forgery code keeps. An LDA module scores each patch alone, and a blend's seam is
    # a relation across patches; these features' receptive fields span it. The head reads the gated
    # stages and does not feed the score, so it can be trained on a finished detector
    # (`train --init RUN --train-only mask_head`) without changing a single prediction: the shipped
    # default's second stage, with k = 2 (its card; the other variants tried: docs/experiments.md). -1: off.
    mask_head_from: int = -1
    # How the n+1 per-time-step temporal maps become one map per m before guiding the
    # backbone. The paper does not say; the mean keeps every time step's evidence
    # (measured, lite: "max" val 0.933 vs 0.924, test 0.913 vs 0.907; README "Two choices in the
    # temporal branch").
    temporal_reduce: str = "mean"
    # How m maps guide C feature channels: the channels are split into m contiguous groups
    # and group k is multiplied by map k. "multiply" is the paper's element-wise product;
    # "residual" uses x * (1 + map), which never shuts a feature off completely
    # (measured, lite: val 0.916 vs 0.924 for "multiply"; README "Residual guidance and dropout").
    guidance: str = "multiply"

    # --- branches (the paper's Table V) -------------------------------------------
    # Spatial LDA on frame t guiding shallow features.
    use_spatial: bool = True
    # Temporal LDA on frame t + n motion residuals guiding mid-level features.
    use_temporal: bool = True

    # Free-form note saved with the weights (what preset, what it was trained on).
    name: str = "custom"
    # Mean/std the clips are normalised with; (0.5, 0.5, 0.5) as timm's Xception.
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)

    def __post_init__(self) -> None:
        # JSON round trips turn tuples into lists.
        self.mean = tuple(float(v) for v in self.mean)  # type: ignore[assignment]
        self.std = tuple(float(v) for v in self.std)  # type: ignore[assignment]
        self.validate()

    # ------------------------------------------------------------------------------
    @property
    def grid_size(self) -> int:
        """g: patches per side of the attention grid."""
        return self.attention_size // self.patch_size

    @property
    def clip_length(self) -> int:
        """Frames one analysis point needs: frame t and its next n frames."""
        return self.num_frames + 1

    def validate(self) -> None:
        for f in dataclasses.fields(self):  # `--set use_spatial=False` reads as the string "False", which is truthy
            if f.type in ("bool", bool) and not isinstance(getattr(self, f.name), bool):
                raise ValueError(f"{f.name} must be true or false, got {getattr(self, f.name)!r}")
        if self.attention_size % self.patch_size:
            raise ValueError(
                f"attention_size {self.attention_size} is not a multiple of patch_size {self.patch_size}"
            )
        if not 1 <= self.num_maps <= 64:
            raise ValueError(f"num_maps must be in 1..64, got {self.num_maps}")
        if not 1 <= self.num_frames <= 16:
            raise ValueError(f"num_frames must be in 1..16, got {self.num_frames}")
        if self.num_modules < 1:
            raise ValueError(f"num_modules must be >= 1, got {self.num_modules}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if self.temporal_reduce not in TEMPORAL_REDUCTIONS:
            raise ValueError(
                f"temporal_reduce must be one of {TEMPORAL_REDUCTIONS}, got {self.temporal_reduce!r}"
            )
        if self.backbone_pretrained not in ("", "imagenet"):
            raise ValueError(f"backbone_pretrained must be '' or 'imagenet', got {self.backbone_pretrained!r}")
        if not 0 <= self.patch_mixer <= 4:
            raise ValueError(f"patch_mixer must be in 0..4, got {self.patch_mixer}")
        if type(self.spatial_input_stage) is not int or self.spatial_input_stage < -1:
            raise ValueError(f"spatial_input_stage must be -1 (pixels) or a stage index, got {self.spatial_input_stage!r}")
        if self.use_spatial and self.spatial_input_stage > min(self.spatial_stage, self.temporal_stage):
            raise ValueError(f"spatial_input_stage={self.spatial_input_stage} must be <= spatial_stage "
                             f"({self.spatial_stage}) and temporal_stage ({self.temporal_stage}): it is read before either gates")
        if type(self.mask_head_from) is not int or self.mask_head_from < -1:
            raise ValueError(f"mask_head_from must be -1 (no head) or a stage index, got {self.mask_head_from!r}")
        if self.guidance not in GUIDANCE_MODES:
            raise ValueError(f"guidance must be one of {GUIDANCE_MODES}, got {self.guidance!r}")

    def replace(self, **changes: Any) -> "LDAConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LDAConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown LDAConfig fields: {unknown}")
        return cls(**data)

    # --- presets ----------------------------------------------------------------
    @classmethod
    def paper(cls, **changes: Any) -> "LDAConfig":
        """The paper's sizes: Xception at 398, LDA at 224 with 16x16 patches, 12 modules,
        m = 4, n = 3. The backbone trains from random weights (no ImageNet Xception ships in a
        wheel here); `train --init` starts it from weights a user supplies."""
        return cls(**{"name": "paper", **changes})

    @classmethod
    def lite(cls, **changes: Any) -> "LDAConfig":
        """Small enough to train on 2 CPU cores and ship under 10 MB: Xception's topology at
        1/4 width (`lda_xception_w25`, see backbones.py) at 128x128, LDA at 112x112 with 8x8
        patches (still a 14x14 grid), D = 64, latent 32, 12 modules, m = 4, n = 3.
        Measured cost (fwd + bwd per clip at batch 16): `train_step_ms_per_clip` of
        `python -m benchmarks.speed` (docs/results.md, "Speed")."""
        base = dict(
            name="lite",
            backbone="lda_xception_w25",
            backbone_size=128,
            attention_size=112,
            patch_size=8,
            embed_dim=64,
            latent_dim=32,
        )
        base.update(changes)
        return cls(**base)

    @classmethod
    def lite0(cls, **changes: Any) -> "LDAConfig":
        """The shipped default: ImageNet-pretrained EfficientNet-Lite0 (timm
        `tf_efficientnet_lite0`, weights from a PyPI wheel, `pretrained.py`) at 160x160 (the
        prepared crops' own size), with the lite preset's LDA modules (112x112, 8x8 patches, a
        14x14 grid, D = 64, latent 32, 12 modules, m = 4, n = 3). As for Xception, the spatial maps
        guide the stride-4 features (feature_info index 1) and the temporal maps the stride-8
        ones (index 2). Lite0's own normalisation is mean = std = 0.5."""
        return cls.lite(**{"name": "lite0", "backbone": "tf_efficientnet_lite0", "backbone_pretrained": "imagenet",
                           "backbone_size": 160, **changes})
