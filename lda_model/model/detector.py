"""`LDADetector`: Xception guided by spatial and temporal long distance attention.

    clip (B, n+1, 3, S, S)  frame t and its next n frames, normalised, S = backbone_size
      |-- resize to attention_size --> spatial LDA (frame t)            -> maps (B, m, g, g)
      |-- resize, motion residuals --> temporal LDA (t + n residuals)   -> maps (B, m, n+1, g, g)
      |                                                                    reduced over time -> (B, m, g, g)
      `-- frame t --> Xception stages ... [x spatial maps after `spatial_stage`]
                                      ... [x temporal maps after `temporal_stage`] ... -> pool -> logit

With `spatial_input_stage` = k >= 0 (an extension, off in the paper preset) the spatial LDA reads frame t's
output of backbone stage k instead of its pixels, and gates the same pass's stage `spatial_stage` >= k.
With `mask_head_from` = k >= 0 (an extension, off in the paper preset) a `ForgeryMapHead` reads the
(guided) stages k.. and predicts each patch's blended fraction, beside the logit (`LDAOutput.forgery_map`).

Both branches off is exactly the plain Xception baseline (the paper's Table V, first column).
"""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import timm
import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin, hf_hub_download
from huggingface_hub.errors import RemoteEntryNotFoundError
from safetensors.torch import load_model as load_safetensors_model
from safetensors.torch import save_model as save_safetensors_model
from torch import nn

from . import backbones  # noqa: F401  (registers the narrow Xceptions with timm)
from .attention import LDAAttention, LDAModules, cpu_has_native_bf16, guide_features, motion_residuals
from .config import LDAConfig
from .forgery_map import ForgeryMapHead

SAFETENSORS_FILE = "model.safetensors"
PICKLE_FILES = ("pytorch_model.bin", "model.bin", "model.pt", "model.pth", "model.ckpt")


class UnsafeWeightsError(ValueError):
    """Raised for checkpoints that exist only as pickles (never loaded: they can run code)."""


@dataclass
class LDAOutput:
    """What `LDADetector.forward` returns. Maps are `None` when their branch is off."""

    logits: torch.Tensor  # (B,) fake logit; sigmoid -> probability of "manipulated"
    spatial_maps: Optional[torch.Tensor] = None  # (B, m, g, g), values in (0, 1)
    temporal_maps: Optional[torch.Tensor] = None  # (B, m, n+1, g, g), per time step, in (0, 1)
    temporal_guide: Optional[torch.Tensor] = None  # (B, m, g, g), temporal maps reduced over time
    # the M = 12 modules' own per-patch activations before the 1x1 combiner (what `--mask-loss` supervises)
    spatial_activations: Optional[torch.Tensor] = None  # (B, M, g, g)
    temporal_activations: Optional[torch.Tensor] = None  # (B, M, n+1, g, g)
    # `ForgeryMapHead`'s predicted blended fraction per patch of frame t (`mask_head_from` >= 0)
    forgery_map: Optional[torch.Tensor] = None  # (B, g, g), in (0, 1)

    @property
    def probabilities(self) -> torch.Tensor:
        return torch.sigmoid(self.logits)

    def frame_activation(self) -> Optional[torch.Tensor]:
        """(B, g, g): the LDA modules' mean activation on frame t's patches (spatial modules and the
        temporal modules' step 0, averaged over what the model has); None without attention."""
        acts = [a.float().mean(1) for a in (self.spatial_activations,) if a is not None]
        acts += [a[:, :, 0].float().mean(1) for a in (self.temporal_activations,) if a is not None]
        return torch.stack(acts).mean(0) if acts else None

    def frame_map(self) -> Optional[torch.Tensor]:
        """(B, g, g): the mean of the gating maps on frame t (spatial maps and temporal guide)."""
        maps = [m.float().mean(1) for m in (self.spatial_maps, self.temporal_guide) if m is not None]
        return torch.stack(maps).mean(0) if maps else None


class StagedBackbone(nn.Module):
    """A timm `features_only` backbone cut into its feature stages, so features can be
    modified between stages (timm's feature wrappers only read them out).

    Stage k ends where `feature_info[k]` is taken. The backbone's modules are listed in
    order: the top-level ones, with a `blocks` Sequential (EfficientNet) opened into
    `blocks.0`, `blocks.1`, ... A feature module in that list (`act2`, `blocks.2`) ends its
    stage after itself; a nested one (`block2.rep.0`, the first op of block2 reading block1's
    output) ends it before its parent. Whatever follows the last feature (global pool,
    classifier, EfficientNet's 1x1 head) is dropped.

    `weights`: a safetensors file with timm's names for `name` (see `pretrained.py`), loaded
    before the cut; every tensor the feature model has must be in it.
    """

    def __init__(self, name: str, weights: Optional[Union[str, Path]] = None) -> None:
        super().__init__()
        model = timm.create_model(name, pretrained=False, features_only=True)
        if weights:
            from .pretrained import load_into

            load_into(model, weights)
        self.feature_info = model.feature_info
        self.channels: list[int] = list(model.feature_info.channels())
        self.reductions: list[int] = list(model.feature_info.reduction())
        children = _ordered_children(model)
        names = [n for n, _ in children]
        ends = []
        for module_name in model.feature_info.module_name():
            if module_name in names:
                ends.append(names.index(module_name) + 1)
                continue
            top = module_name.split(".")[0]
            if top not in names:
                raise ValueError(f"feature module {module_name!r} of {name} not found at top level")
            ends.append(names.index(top))
        stages, start = [], 0
        for end in ends:
            stages.append(nn.Sequential(*[m for _, m in children[start:end]]))
            start = end
        self.stages = nn.ModuleList(stages)

    @property
    def num_features(self) -> int:
        return self.channels[-1]


def _ordered_children(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """A timm feature model's modules in forward order, `blocks` opened into its stages."""
    body = getattr(model, "body", None)
    if body is not None:  # FeatureHookNet: hooks on the original network
        for handle in model.hooks._handles:
            handle.remove()
        top = list(body.named_children())
    elif hasattr(model, "items"):  # FeatureListNet / FeatureDictNet: flattened top-level modules
        top = list(model.items())
    else:  # EfficientNetFeatures: conv_stem, bn1, blocks; features are read after blocks.k
        top = list(model.named_children())
    out = []
    for n, m in top:
        if n == "blocks" and isinstance(m, nn.Sequential):
            out += [(f"blocks.{i}", b) for i, b in enumerate(m)]
        else:
            out.append((n, m))
    return out


class LDADetector(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="lda-deepfake",
    tags=["deepfake-detection", "video-classification", "explainability"],
    license="mit",
    paper_url="https://arxiv.org/abs/2106.12832",
):
    """Deepfake detector of Lu et al. (2021): Xception + spatial/temporal long distance attention."""

    def __init__(self, config: LDAConfig) -> None:
        super().__init__()
        if isinstance(config, dict):  # tolerate plain dicts (e.g. a config.json read by hand)
            config = LDAConfig.from_dict(config)
        self.config = config
        self.backbone = StagedBackbone(config.backbone)
        n_stages = len(self.backbone.stages)
        for field in ("spatial_stage", "temporal_stage"):
            idx = getattr(config, field)
            if not 0 <= idx < n_stages - 1:
                raise ValueError(f"{field}={idx} must be in 0..{n_stages - 2} for {config.backbone}")
        lda = dict(
            image_size=config.attention_size,
            patch_size=config.patch_size,
            embed_dim=config.embed_dim,
            latent_dim=config.latent_dim,
            num_modules=config.num_modules,
            num_maps=config.num_maps,
            activation=config.activation,
            embed_norm=config.embed_norm,
            mixer_layers=config.patch_mixer,
        )
        self.spatial_cells = self._spatial_cells()  # q: feature cells per patch side (0: pixel patches)
        spatial_lda = lda if not self.spatial_cells else {
            **lda, "image_size": config.grid_size * self.spatial_cells, "patch_size": self.spatial_cells,
            "in_chans": self.backbone.channels[config.spatial_input_stage]}
        self.spatial = LDAAttention(num_steps=1, **spatial_lda) if config.use_spatial else nn.Identity()
        self.temporal = (
            LDAAttention(num_steps=config.clip_length, **lda) if config.use_temporal else nn.Identity()
        )
        self.head_drop = nn.Dropout(config.drop_rate)
        self.head = nn.Linear(self.backbone.num_features, 1)
        k = config.mask_head_from
        if k >= n_stages:
            raise ValueError(f"mask_head_from={k} must be in 0..{n_stages - 1} for {config.backbone}")
        self.mask_head = (ForgeryMapHead(self.backbone.channels[k:], config.grid_size) if k >= 0
                          else nn.Identity())

    def _spatial_cells(self) -> int:
        """q = ceil(side / g) for backbone-feature patches (`spatial_input_stage` >= 0 with the spatial
        branch on), else 0."""
        k = self.config.spatial_input_stage
        if k < 0 or not self.config.use_spatial:
            return 0
        side = -(-self.config.backbone_size // self.backbone.reductions[k])
        return max(1, -(-side // self.config.grid_size))

    # ---------------------------------------------------------------------------------
    def attention_input(self, clip: torch.Tensor) -> torch.Tensor:
        """(B, T, 3, S, S) -> (B, T, 3, A, A): the clip at the LDA modules' size."""
        b, t, c, h, w = clip.shape
        a = self.config.attention_size
        if (h, w) == (a, a):
            return clip
        x = F.interpolate(clip.reshape(b * t, c, h, w), size=(a, a), mode="bilinear", antialias=True)
        return x.reshape(b, t, c, a, a)  # (B, T, 3, A, A)

    def forward_attention(self, clip: torch.Tensor, features: Optional[torch.Tensor] = None) -> LDAOutput:
        """Only the attention branches: maps without running the rest of the backbone. With
        `spatial_input_stage` = k >= 0 the spatial modules read `features`, frame t's ungated
        output of backbone stage k (B, C_k, H_k, W_k); without them, stages 0..k run here."""
        cfg = self.config
        # (B, n+1, 3, A, A): the frames at the modules' size, where pixels are read
        small = self.attention_input(clip) if cfg.use_temporal or not self.spatial_cells else None
        out = LDAOutput(logits=clip.new_zeros(clip.shape[0]))
        if cfg.use_spatial:
            if self.spatial_cells and features is None:
                features = clip[:, 0]
                for stage in self.backbone.stages[: cfg.spatial_input_stage + 1]:
                    features = stage(features)
            act = self.spatial.activations(self.spatial_input(features) if self.spatial_cells else small[:, :1])
            out.spatial_activations = act[:, :, 0]  # (B, M, g, g) from act (B, M, 1, g, g)
            out.spatial_maps = self.spatial.combine_maps(act)[:, :, 0]  # (B, m, g, g)
        if cfg.use_temporal:
            act = self.temporal.activations(motion_residuals(small))  # (B, M, n+1, g, g)
            out.temporal_activations = act
            maps = self.temporal.combine_maps(act)  # (B, m, n+1, g, g)
            out.temporal_maps = maps
            reduce = maps.mean(dim=2) if cfg.temporal_reduce == "mean" else maps.amax(dim=2)
            out.temporal_guide = reduce  # (B, m, g, g)
        return out

    def spatial_input(self, features: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) backbone features -> (B, 1, C, g*q, g*q): one 'image' whose q x q cells are the patches."""
        side = self.config.grid_size * self.spatial_cells
        if features.shape[-2:] != (side, side):
            features = F.interpolate(features, size=(side, side), mode="bilinear", align_corners=False)
        return features.unsqueeze(1)  # (B, 1, C, g*q, g*q)

    def forward_stages(self, clip: torch.Tensor) -> tuple[list[torch.Tensor], LDAOutput]:
        """(B, n+1, 3, S, S) -> every backbone stage's (guided) output, (B, C_k, S/r_k, S/r_k) each, and the maps."""
        self._check_clip(clip)
        cfg = self.config
        read_at = cfg.spatial_input_stage if self.spatial_cells else -1
        out = self.forward_attention(clip) if read_at < 0 else None
        x, stages = clip[:, 0], []  # (B, 3, S, S): the backbone sees frame t only
        for k, stage in enumerate(self.backbone.stages):
            x = stage(x)
            if k == read_at:  # the spatial modules read this stage before it is gated (config.validate)
                out = self.forward_attention(clip, features=x)
            if k == cfg.spatial_stage and out.spatial_maps is not None:
                x = guide_features(x, out.spatial_maps, cfg.guidance)
            if k == cfg.temporal_stage and out.temporal_guide is not None:
                x = guide_features(x, out.temporal_guide, cfg.guidance)
            stages.append(x)
        return stages, out

    def forward_features(self, clip: torch.Tensor) -> tuple[torch.Tensor, LDAOutput]:
        """(B, n+1, 3, S, S) -> last backbone features (B, C, S/32, S/32) and the maps."""
        stages, out = self.forward_stages(clip)
        return stages[-1], out

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        x = features.mean(dim=(2, 3))  # (B, C) global average pool
        return self.head(self.head_drop(x)).squeeze(-1)  # (B,)

    def forward(self, clip: torch.Tensor) -> LDAOutput:
        stages, out = self.forward_stages(clip)
        out.logits = self.forward_head(stages[-1])
        if self.config.mask_head_from >= 0:
            out.forgery_map = self.mask_head(stages[self.config.mask_head_from:])  # (B, g, g)
        return out

    def _check_clip(self, clip: torch.Tensor) -> None:
        cfg = self.config
        want = (cfg.clip_length, 3, cfg.backbone_size, cfg.backbone_size)
        if clip.ndim != 5 or tuple(clip.shape[1:]) != want:
            raise ValueError(
                f"expected a clip of shape (B, {', '.join(map(str, want))}) "
                f"(frame t + n={cfg.num_frames} next frames at {cfg.backbone_size}px), got {tuple(clip.shape)}"
            )

    def for_inference(self, bf16_variance: bool | None = None) -> "LDADetector":
        """eval() with the weights in channels-last memory order, in place; returns self.

        Same numbers (to float rounding; checked in the tests), faster convolutions on CPU: per
        clip, paper preset 480 -> 319 ms and lite 15.6 -> 13.1 ms on this workplace's 2 cores
        (torch 2.14.1), `channels_last` in `python -m benchmarks.speed` (README, "Speed").
        `bf16_variance` (default: on where the CPU has hardware bf16) runs the LDA modules'
        variance-only GEMM in bf16 under inference (`LDAModules.variance_dtype`): maps move by
        ~1e-3, probabilities by ~1e-5 (the default checkpoint on 16 random clips).
        """
        return self.use_bf16_variance(bf16_variance).eval().to(memory_format=torch.channels_last)

    def use_bf16_variance(self, on: bool | None = None) -> "LDADetector":
        """Whether the LDA modules' variance-only GEMM runs in bf16 under inference (None: where the
        CPU has hardware bf16); in place, returns self."""
        fast = cpu_has_native_bf16() if on is None else on
        for mod in self.modules():
            if isinstance(mod, LDAModules):
                mod.variance_dtype = torch.bfloat16 if fast else None
        return self

    # --- Hub saving and loading: safetensors only, strict ------------------------------
    def _save_pretrained(self, save_directory: Path) -> None:
        # weights may be channels-last in memory (for_inference); the file is always row-major
        save_safetensors_model(self, str(Path(save_directory) / SAFETENSORS_FILE), force_contiguous=True)

    @classmethod
    def _from_pretrained(
        cls,
        *,
        model_id: str,
        revision: Optional[str],
        cache_dir: Optional[Union[str, Path]],
        force_download: bool,
        local_files_only: bool,
        token: Union[str, bool, None],
        map_location: str = "cpu",
        strict: bool = True,
        **model_kwargs,
    ) -> "LDADetector":
        if os.path.isdir(model_id):
            model_file = os.path.join(model_id, SAFETENSORS_FILE)
            if not os.path.isfile(model_file):
                pickles = [p for p in PICKLE_FILES if os.path.isfile(os.path.join(model_id, p))]
                if pickles:
                    raise UnsafeWeightsError(
                        f"{model_id} holds only pickle weights ({', '.join(pickles)}); refusing to load them. "
                        "Convert them to model.safetensors with a trusted tool first."
                    )
                raise FileNotFoundError(f"no {SAFETENSORS_FILE} in {model_id}")
        else:
            try:
                model_file = hf_hub_download(
                    repo_id=model_id,
                    filename=SAFETENSORS_FILE,
                    revision=revision,
                    cache_dir=cache_dir,
                    force_download=force_download,
                    token=token,
                    local_files_only=local_files_only,
                )
            except RemoteEntryNotFoundError as err:  # the repo lacks the file (not: it is missing from the cache)
                raise UnsafeWeightsError(
                    f"{model_id} has no {SAFETENSORS_FILE}; pickle checkpoints are never loaded"
                ) from err
        model = cls(**model_kwargs)
        load_safetensors_model(model, model_file, strict=strict, device=str(map_location))
        model.eval()
        return model

    def describe_shapes(self) -> list[tuple[str, tuple[int, ...]]]:
        """Named tensor shapes for one clip (batch 1), for documentation and the app."""
        cfg = self.config
        g, n1, m = cfg.grid_size, cfg.clip_length, cfg.num_maps
        s, a = cfg.backbone_size, cfg.attention_size
        rows: list[tuple[str, tuple[int, ...]]] = [("clip", (1, n1, 3, s, s)), ("attention input", (1, n1, 3, a, a))]
        if cfg.use_spatial:
            patch_dim = (self.backbone.channels[cfg.spatial_input_stage] * self.spatial_cells**2 if self.spatial_cells
                         else 3 * cfg.patch_size**2)
            rows += [("spatial patches", (1, g * g, patch_dim)), ("spatial maps", (1, m, g, g))]
        if cfg.use_temporal:
            rows += [
                ("temporal patches", (1, n1 * g * g, 3 * cfg.patch_size**2)),
                ("temporal maps", (1, m, n1, g, g)),
                ("temporal guide", (1, m, g, g)),
            ]
        size = s
        for k, (c, r) in enumerate(zip(self.backbone.channels, self.backbone.reductions)):
            side = -(-size // r)
            rows.append((f"backbone stage {k}", (1, c, side, side)))
        if cfg.mask_head_from >= 0:
            rows.append(("forgery map", (1, g, g)))
        rows.append(("logit", (1,)))
        return rows

    def num_parameters(self, part: str = "all") -> int:
        module = {"all": self, "backbone": self.backbone, "spatial": self.spatial, "temporal": self.temporal,
                  "mask_head": self.mask_head}[part]
        return sum(p.numel() for p in module.parameters())

