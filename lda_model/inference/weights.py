"""Resolve a weights *source* string to a loaded `LDADetector`.

A source is, in this order:
1. a local folder in `save_pretrained` layout (`config.json` + `model.safetensors`);
2. the name of a checkpoint bundled in `assets/weights/` (`default`, `m1`, `spatial_only`, ...);
3. a Hugging Face Hub repo id `org/name`, optionally pinned as `org/name@revision`.

`None` means `$LDA_WEIGHTS`, else `default`. Loaded models are kept (one load per source and
process). Only safetensors are ever read (see `LDADetector._from_pretrained`).
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..model.detector import LDADetector
from ..paths import WEIGHTS_DIR

DEFAULT_WEIGHTS = "default"
# The paper's ablations (Tables V-VII) as bundled checkpoints; within a table every variant shares its
# full model's recipe and changes one thing (a branch off, m or n), so its bars compare like with like.
# All three are trained on `default`'s recipe (ImageNet EfficientNet-Lite0, scripts/variants.sh), so `default`
# is each table's full model (m = 4, n = 3); tests/test_bundled.py fails if a table ever mixes two recipes.
TABLE_V_FULL = DEFAULT_WEIGHTS
TABLE_VI_FULL = DEFAULT_WEIGHTS
TABLE_VII_FULL = DEFAULT_WEIGHTS
TABLE_V = {"backbone only": "backbone_only", "spatial only": "spatial_only", "temporal only": "temporal_only",
           "spatial + temporal": TABLE_V_FULL}
TABLE_VI = {1: "m1", 2: "m2", 3: "m3", 4: TABLE_VI_FULL, 5: "m5"}  # m -> checkpoint (n = 3)
TABLE_VII = {2: "n2", 3: TABLE_VII_FULL, 4: "n4", 5: "n5"}  # n -> checkpoint (m = 4)
# the checkpoints in the role of the paper's full model (m = 4, n = 3)
PAPER_FULL = {TABLE_V_FULL, TABLE_VI_FULL, TABLE_VII_FULL}
# The earlier default (the paper's Xception at 1/4 width, `lite` preset, trained from scratch) stays bundled in
# no table: it is the control for what the ImageNet backbone buys, beside `default` in the README's table.
SCRATCH_CONTROL = "xception_lite"


def variant_tables(tables: Mapping[str, Iterable[str]], first: str = DEFAULT_WEIGHTS) -> dict[str, str]:
    """{paper table: its checkpoints} -> {checkpoint: the tables it is in, "V/VI/VII"}; `first` leads, in none
    if it is in none. A checkpoint in several tables (a full model) appears once."""
    out: dict[str, list[str]] = {first: []}
    for table, names in tables.items():
        for name in names:
            if table not in out.setdefault(name, []):
                out[name].append(table)
    return {name: "/".join(t) for name, t in out.items()}


# every bundled checkpoint of the series -> the paper tables it belongs to ("" for none), e.g. "V/VI/VII"
VARIANT_TABLE = {**variant_tables({"V": TABLE_V.values(), "VI": TABLE_VI.values(), "VII": TABLE_VII.values()}),
                 SCRATCH_CONTROL: ""}
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class WeightsError(ValueError):
    """A weights source that cannot be resolved or loaded; the message is meant for the user."""


@dataclass(frozen=True)
class WeightsInfo:
    source: str  # what the user asked for
    kind: str  # "local" | "bundled" | "hub"
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

                return Path(hf_hub_download(self.location, "README.md", revision=self.revision,
                                            local_files_only=hub_offline())).read_text("utf-8")
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


@dataclass(frozen=True)
class SourcePolicy:
    """Which weights sources may be loaded, and how many non-bundled models stay in memory.

    Locally anything goes. A public app (`public_policy`) loads only the bundled checkpoints and
    an allow-list of Hub repos, never a folder of the server, and keeps few downloaded models."""

    allow_local: bool = True
    allowed_repos: tuple[str, ...] | None = None  # None: any Hub repo
    max_external: int = 16  # non-bundled models kept loaded (least recently used dropped first)

    def refusal(self) -> str:
        repos = ", ".join(self.allowed_repos or ()) or "none"
        return ("This app loads only its bundled checkpoints and these Hub repos: " + repos + ".")

    def check(self, info: WeightsInfo) -> None:
        """Raise WeightsError (the same message for every refused source) unless `info` is allowed."""
        if info.kind == "bundled":
            return
        if info.kind == "local" and self.allow_local:
            return
        if info.kind == "hub" and (self.allowed_repos is None or info.location in self.allowed_repos):
            return
        raise WeightsError(self.refusal())


LOCAL = SourcePolicy()
# the project's own Hub repo: what a public Space may load besides its bundled checkpoints
PROJECT_REPO = "lda-deepfake/lda-detector"


def public_policy(env: dict[str, str] | None = None) -> SourcePolicy | None:
    """The public-Space policy when `SPACE_ID` is set or `LDA_PUBLIC=1`, else None (local use).
    `LDA_ALLOWED_WEIGHTS` (comma-separated repo ids) replaces the allow-list."""
    env = os.environ if env is None else env
    if not (env.get("SPACE_ID") or env.get("LDA_PUBLIC") == "1"):
        return None
    repos = tuple(r.strip() for r in env.get("LDA_ALLOWED_WEIGHTS", PROJECT_REPO).split(",") if r.strip())
    return SourcePolicy(allow_local=False, allowed_repos=repos, max_external=2)


_CACHE: OrderedDict[WeightsInfo, LDADetector] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _cached(info: WeightsInfo, max_external: int) -> LDADetector:
    """One load per source; bundled models stay, others are dropped beyond `max_external`."""
    with _CACHE_LOCK:
        model = _CACHE.get(info)
        if model is not None:
            _CACHE.move_to_end(info)
            return model
    model = _load(info)
    with _CACHE_LOCK:
        _CACHE[info] = model
        external = [k for k in _CACHE if k.kind != "bundled"]
        for key in external[:max(0, len(external) - max_external)]:
            del _CACHE[key]
    return model


def loaded_sources() -> list[WeightsInfo]:
    """The sources whose models are held in memory now (least recently used first)."""
    with _CACHE_LOCK:
        return list(_CACHE)


# How long to wait for the Hub to answer before saying it cannot be reached (huggingface_hub itself
# retries for ~30 s when there is no network; a user should hear within seconds).
HUB_PROBE_TIMEOUT_S = 3.0


def hub_reachable(timeout: float = HUB_PROBE_TIMEOUT_S) -> bool:
    """Whether a TCP connection to the Hub endpoint opens within `timeout` s (name lookup included).
    Behind a proxy (HTTPS_PROXY / HTTP_PROXY set) the Hub is taken as reachable: the HTTP client goes
    through the proxy, a direct probe would not."""
    from urllib.parse import urlparse

    from huggingface_hub import constants

    if any(os.environ.get(k) for k in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY")):
        return True

    url = urlparse(constants.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    ok = threading.Event()

    def probe() -> None:
        try:
            socket.create_connection((url.hostname, port), timeout=timeout).close()
            ok.set()
        except OSError:
            pass

    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(timeout)
    return ok.is_set()


def hub_offline() -> bool:
    """Answer Hub requests from the local cache alone: offline by setting, or the Hub cannot be reached."""
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE) or not hub_reachable()


def _load_hub(info: WeightsInfo) -> LDADetector:
    """From the Hub, or from the local Hub cache alone when the Hub is offline or cannot be reached."""
    from huggingface_hub import constants

    offline = hub_offline()
    try:
        return LDADetector.from_pretrained(info.location, revision=info.revision, local_files_only=offline)
    except Exception as err:  # noqa: BLE001
        if offline and not constants.HF_HUB_OFFLINE:
            where = f"{info.location}@{info.revision}" if info.revision else info.location
            raise WeightsError(f"the Hugging Face Hub cannot be reached from here, and {where} is not in the local "
                               "Hub cache: use a bundled checkpoint or a local folder") from err
        raise


def _load(info: WeightsInfo) -> LDADetector:
    try:
        model = _load_hub(info) if info.kind == "hub" else LDADetector.from_pretrained(info.location)
    except WeightsError:
        raise
    except Exception as err:  # noqa: BLE001 - every failure becomes one clear message
        where = f"{info.location}@{info.revision}" if info.revision else info.location
        raise WeightsError(f"could not load weights from {where}: {type(err).__name__}: {err}") from err
    return model.for_inference()


def load_detector(source: str | None = None, policy: SourcePolicy = LOCAL) -> tuple[LDADetector, WeightsInfo]:
    """The detector for `source` (see module doc) and where it came from, if `policy` allows it.
    Loaded once per source (see `SourcePolicy.max_external`)."""
    try:
        info = resolve_source(source)
    except WeightsError:
        if policy.allow_local and policy.allowed_repos is None:
            raise
        raise WeightsError(policy.refusal()) from None  # says nothing of which paths exist
    policy.check(info)
    return _cached(info, policy.max_external), info
