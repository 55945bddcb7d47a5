import os
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
torch.set_num_threads(min(2, os.cpu_count() or 1))

SHARED_DATA = Path(os.environ.get("LDA_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture
def tiny_config():
    """The lite topology at toy sizes: runs in milliseconds on a CPU."""
    from lda_model import LDAConfig

    return LDAConfig.lite(backbone_size=64, attention_size=32, patch_size=8, embed_dim=16, latent_dim=8, num_modules=3)
