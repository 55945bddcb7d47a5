"""Where the repository keeps what the app ships (`assets/`) and what training caches (`.cache/`)."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSETS = REPO_ROOT / "assets"
WEIGHTS_DIR = ASSETS / "weights"  # bundled checkpoints, one folder each
EXAMPLES_DIR = ASSETS / "examples"  # clips the project generates for the app
FACES_DIR = ASSETS / "faces"  # the public-domain photo the synthetic clips animate
MODELS_DIR = ASSETS / "models"  # MediaPipe's face models
