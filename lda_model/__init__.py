"""Long distance attention deepfake detector (Lu et al., arXiv 2106.12832).

Subpackages, each importing only the ones before it (docs/architecture.md):

    model       the network: LDAConfig, the LDA modules, backbones, LDADetector, ImageNet weights
    inference   a video file -> faces -> scores and maps: decoding, face finding, the pipeline, weights
    data        training data: the face cache, splits, label files, forgeries, the dataset
    evaluation  metrics and the held-out measurements (detection, synthetic, localization)
    release     model cards, shipping a run, publishing to the Hub

Importing this package loads no model and downloads nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# public name -> the submodule that defines it; imported on first use (PEP 562), so a CLI's --help or a
# usage error answers in a fraction of a second instead of waiting for torch and timm to load
_EXPORTS = {
    "LDAAttention": ".model.attention",
    "LDAModules": ".model.attention",
    "guide_features": ".model.attention",
    "motion_residuals": ".model.attention",
    "patchify": ".model.attention",
    "LDAConfig": ".model.config",
    "LDADetector": ".model.detector",
    "LDAOutput": ".model.detector",
    "UnsafeWeightsError": ".model.detector",
}
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .model.attention import LDAAttention, LDAModules, guide_features, motion_residuals, patchify
    from .model.config import LDAConfig
    from .model.detector import LDADetector, LDAOutput, UnsafeWeightsError


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
