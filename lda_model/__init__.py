"""Long distance attention deepfake detector (Lu et al., arXiv 2106.12832).

Subpackages, each importing only the ones before it (docs/architecture.md):

    model       the network: LDAConfig, the LDA modules, backbones, LDADetector, ImageNet weights
    inference   a video file -> faces -> scores and maps: decoding, face finding, the pipeline, weights
    data        training data: the face cache, splits, label files, forgeries, the dataset
    evaluation  metrics and the held-out measurements (detection, synthetic, localization)
    release     model cards, shipping a run, publishing to the Hub

Importing this package loads no model and downloads nothing.
"""

from .model.attention import LDAAttention, LDAModules, guide_features, motion_residuals, patchify
from .model.config import LDAConfig
from .model.detector import LDADetector, LDAOutput, UnsafeWeightsError

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
