"""The layout docs/architecture.md describes: subpackages import only the ones before them, the library
imports no UI or tool code, and importing it runs nothing heavy."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# each layer may import itself and the layers before it; `paths` and `arguments` (argparse types) are below
# them all, the CLIs above
LAYERS = ["paths", "arguments", "model", "inference", "data", "evaluation", "release", "cli"]
FORBIDDEN = ("gradio", "plotly", "app", "tools", "benchmarks")


def layer_of(parts: list[str]) -> str:
    """['lda_model', 'inference', 'faces'] -> 'inference'; the package root and its CLI modules -> 'cli'."""
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "cli"


def imports_of(path: Path, root: Path) -> list[list[str]]:
    """Every module `path` imports, as name parts, relative imports resolved against `root`."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    package = parts[:-1]  # an __init__'s package is its folder, like any module's
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [a.name.split(".") for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            name = base + (node.module.split(".") if node.module else [])
            out.append(name)
            out += [name + [a.name] for a in node.names]  # `from . import backbones` names a module
    return out


def violations(root: Path, package: str = "lda_model") -> list[str]:
    wrong = []
    for path in sorted((root / package).rglob("*.py")):
        me = list(path.relative_to(root).with_suffix("").parts)
        mine = LAYERS.index(layer_of(me))
        for name in imports_of(path, root):
            if name[0] in FORBIDDEN:
                wrong.append(f"{'.'.join(me)} imports {'.'.join(name)}")
            elif name[0] == package and len(name) > 1:
                theirs = LAYERS.index(layer_of(name))
                line = f"{'.'.join(me)} ({LAYERS[mine]}) imports {'.'.join(name[:3])} ({LAYERS[theirs]})"
                if theirs > mine and line not in wrong:
                    wrong.append(line)
    return wrong


def test_layers_import_only_what_comes_before_them():
    assert violations(ROOT) == []


def test_a_wrong_way_import_is_caught(tmp_path):
    (tmp_path / "lda_model" / "model").mkdir(parents=True)
    (tmp_path / "lda_model" / "model" / "x.py").write_text("from ..inference.faces import FaceDetector\n")
    (tmp_path / "lda_model" / "data.py").write_text("import gradio\n")
    assert violations(tmp_path) == ["lda_model.data imports gradio",
                                    "lda_model.model.x (model) imports lda_model.inference.faces (inference)"]


def test_importing_the_library_loads_no_ui_and_no_face_model():
    code = ("import sys, lda_model, lda_model.inference.pipeline, lda_model.data.dataset, lda_model.release.cards; "
            "print([m for m in ('gradio', 'plotly', 'mediapipe') if m in sys.modules])")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


def test_the_package_and_predict_load_torch_only_when_used():
    """`predict --help` and its usage errors answer without loading torch; the package's names still resolve."""
    code = ("import sys, lda_model, lda_model.predict; before = 'torch' in sys.modules; "
            "from lda_model import LDADetector, patchify; "
            "print(before, 'torch' in sys.modules, LDADetector.__module__)")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["False", "True", "lda_model.model.detector"]
    import lda_model

    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        lda_model.Nope  # noqa: B018 - the lookup is the test
    assert set(lda_model.__all__) <= set(dir(lda_model))
