"""Long distance attention deepfake detector (Lu et al., arXiv 2106.12832).

Importing this package loads no model and downloads nothing.
"""

from .attention import LDAAttention, LDAModules, guide_features, motion_residuals, patchify
from .config import LDAConfig
from .model import LDADetector, LDAOutput, UnsafeWeightsError

__all__ = [
    "LDAAttention",
    "LDAConfig",
    "LDADetector",
    "LDAModules",
    "LDAOutput",
    "UnsafeWeightsError",
    "guide_features",
    "motion_residuals",
    "patchify",
]
