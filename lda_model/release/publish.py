"""Upload a checkpoint folder (config.json, model.safetensors, README.md card) to the Hub.

    python -m lda_model.release.publish runs/default/best --repo org/name [--private] [--message "..."]

Refuses folders without `model.safetensors` or with pickle files (only safetensors are shipped).
Needs a token (`huggingface-cli login` or HF_TOKEN). Prints the commit URL.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from huggingface_hub import HfApi

from ..model.detector import PICKLE_FILES, SAFETENSORS_FILE


def check_folder(folder: Path) -> None:
    if not (folder / SAFETENSORS_FILE).is_file() or not (folder / "config.json").is_file():
        raise SystemExit(f"error: {folder} needs config.json and {SAFETENSORS_FILE} (save_pretrained layout)")
    pickles = [p for p in PICKLE_FILES if (folder / p).exists()]
    if pickles:
        raise SystemExit(f"error: {folder} holds pickle files ({', '.join(pickles)}); remove them first")


def main(argv=None, api: HfApi | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m lda_model.release.publish", description=__doc__.split("\n\n")[0])
    p.add_argument("folder")
    p.add_argument("--repo", required=True, help="org/name")
    p.add_argument("--private", action="store_true")
    p.add_argument("--message", default="Upload LDA deepfake detector checkpoint")
    args = p.parse_args(argv)
    folder = Path(args.folder)
    check_folder(folder)
    api = api or HfApi()
    api.create_repo(args.repo, repo_type="model", private=args.private, exist_ok=True)
    info = api.upload_folder(repo_id=args.repo, folder_path=str(folder), commit_message=args.message,
                             allow_patterns=["config.json", SAFETENSORS_FILE, "README.md"])
    print(getattr(info, "commit_url", info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
