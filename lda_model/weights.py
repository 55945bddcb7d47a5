"""Resolve a weights *source* string to a loaded `LDADetector`.

A source is, in this order:
1. a local folder in `save_pretrained` layout (`config.json` + `model.safetensors`);
2. the name of a checkpoint bundled in `assets/weights/` (`default`, `m1`, `spatial_only`, ...);
3. a Hugging Face Hub repo id `org/name`, optionally pinned as `org/name@revision`.

`None` means `$LDA_WEIGHTS`, else `default`. Loaded models are kept (one load per source and
process). Only safetensors are ever read (see `LDADetector._from_pretrained`).
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .model import LDADetector

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "assets" / "weights"
DEFAULT_WEIGHTS = "default"
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class WeightsError(ValueError):
    """A weights source that cannot be resolved or loaded; the message is meant for the user."""


@dataclass(frozen=True)
class WeightsInfo:
    source: str  # what the user asked for
    kind: str  # "local" | "bundled" | "hub" (| "ensemble": evaluate --weights A --weights B)
    location: str  # folder path or repo id
    revision: str | None = None

    @property
    def card_path(self) -> Path | None:
        if self.kind in ("local", "bundled"):
            p = Path(self.location) / "README.md"
            return p if p.is_file() else None
        return None

    def card(self) -> str:
        if self.card_path is not None:
            return self.card_path.read_text(encoding="utf-8")
        if self.kind == "hub":
            try:
                from huggingface_hub import hf_hub_download

                return Path(hf_hub_download(self.location, "README.md", revision=self.revision)).read_text("utf-8")
            except Exception:  # noqa: BLE001 - a missing card is not fatal
                return ""
        return ""


def bundled_weights() -> list[str]:
    """Names of the checkpoints shipped in assets/weights/."""
    if not WEIGHTS_DIR.is_dir():
        return []
    return sorted(p.name for p in WEIGHTS_DIR.iterdir() if (p / "model.safetensors").is_file())


def resolve_source(source: str | None = None) -> WeightsInfo:
    src = (source or os.environ.get("LDA_WEIGHTS") or DEFAULT_WEIGHTS).strip()
    if not src:
        raise WeightsError("empty weights source")
    path = Path(src).expanduser()
    if path.is_dir():
        return WeightsInfo(src, "local", str(path.resolve()))
    if re.fullmatch(r"[\w.-]+", src) and (WEIGHTS_DIR / src).is_dir():
        return WeightsInfo(src, "bundled", str(WEIGHTS_DIR / src))
    repo, _, revision = src.partition("@")
    if _REPO_ID.match(repo) and (revision == "" or re.fullmatch(r"[\w./-]+", revision)):
        return WeightsInfo(src, "hub", repo, revision or None)
    known = ", ".join(bundled_weights()) or "none"
    raise WeightsError(
        f"unknown weights source {src!r}: not a folder, not a bundled checkpoint ({known}), "
        "not a Hub repo id (org/name[@revision])"
    )


@functools.lru_cache(maxsize=16)
def _load(info: WeightsInfo) -> LDADetector:
    try:
        if info.kind == "hub":
            model = LDADetector.from_pretrained(info.location, revision=info.revision)
        else:
            model = LDADetector.from_pretrained(info.location)
    except WeightsError:
        raise
    except Exception as err:  # noqa: BLE001 - every failure becomes one clear message
        where = f"{info.location}@{info.revision}" if info.revision else info.location
        raise WeightsError(f"could not load weights from {where}: {type(err).__name__}: {err}") from err
    return model.for_inference()


def load_detector(source: str | None = None) -> tuple[LDADetector, WeightsInfo]:
    """The detector for `source` (see module doc) and where it came from. Loaded once per source."""
    info = resolve_source(source)
    model = _load(info)
    return model, info
