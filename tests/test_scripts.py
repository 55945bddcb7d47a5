"""scripts/paper_on_gpu.sh end to end on a CPU, at toy sizes: what it returns can be joined and loaded."""

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from lda_model import LDADetector
from tools.cache_pack import convert

ROOT = Path(__file__).resolve().parents[1]
TOY = "--set backbone_size=64 --set attention_size=32 --set embed_dim=16 --set latent_dim=8 --set num_modules=3"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("split") is None, reason="needs bash and coreutils")
def test_gpu_script_rehearsal(tiny_cache, tmp_path):
    packed, out = tmp_path / "packed", tmp_path / "out"
    convert(tiny_cache, packed, unpack=False)
    env = {**os.environ, "PRESET": "lite", "BATCH": "4", "EPOCHS": "3", "EPOCH_SIZE": "8", "VAL_SIZE": "4",
           "SEEDS": "1", "WORKERS": "0", "PYTHON": sys.executable, "WORK": str(tmp_path / "work"),
           "TRAIN_EXTRA": TOY, "EVAL_TIMEOUT": "300"}
    res = subprocess.run(["bash", "scripts/paper_on_gpu.sh", str(packed), str(out), "0.0001"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    step = json.loads((out / "train_step.json").read_text())
    assert step["preset"] == "lite" and step["train_clips_per_s"] > 0 and step["data_clips_per_s"] > 0
    assert "time budget 0.0001 min: 1 epochs of 3" in (out / "train.log").read_text()
    for split in ("val", "test"):
        assert json.loads((out / f"eval_{split}.json").read_text())["split"] == split
    parts = sorted(out.glob("paper_run.tar.gz.part-*"))
    assert parts and all(p.stat().st_size <= 15 * 2**20 for p in parts)
    joined = tmp_path / "joined.tar.gz"
    joined.write_bytes(b"".join(p.read_bytes() for p in parts))
    with tarfile.open(joined) as tar:
        tar.extractall(tmp_path / "back", filter="data")
    model = LDADetector.from_pretrained(tmp_path / "back" / "best")
    assert model.config.name == "lite-synthetic" and model.config.backbone_size == 64
    assert len((tmp_path / "back" / "metrics.jsonl").read_text().splitlines()) == 1


def stand_in_python(tmp_path: Path, then: str = "") -> tuple[Path, dict]:
    """An interpreter for scripts/variants.sh that logs each call's arguments to a file, then runs `then`
    (bash); returns the log's path and the environment that points the script at it, at tmp_path/runs and at
    tmp_path/out for the releases, and at tmp_path/bundled for the variants that have moved beside `default`."""
    log, stub = tmp_path / "calls.txt", tmp_path / "py"
    stub.write_text(f'#!/usr/bin/env bash\necho "$*" >> {log}\n{then}')
    stub.chmod(0o755)
    return log, {**os.environ, "PYTHON": str(stub), "RUNS": str(tmp_path / "runs"), "OUT": str(tmp_path / "out"),
                 "BUNDLED": str(tmp_path / "bundled")}


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_variants_script_trains_each_on_the_recipe_then_releases_once(tmp_path):
    """scripts/variants.sh with a stand-in interpreter that logs its arguments: each variant trains with the
    default's recipe plus only its own change (resumable), is released, and is skipped once released."""
    # a release writes the variant's folder and its card, as lda_model.release does (its name follows --name)
    release = ('a="$*"; [[ "$a" == *lda_model.release* ]] && n=${a##*--name } && n=${n%% *} '
               '&& mkdir -p "$OUT/$n" && printf "variant of \\`default\\`\\n## Measured\\n" > "$OUT/$n/README.md"\n'
               'exit 0\n')
    log, env = stand_in_python(tmp_path, then=release)
    run = lambda *names: subprocess.run(["bash", "scripts/variants.sh", *names], cwd=ROOT, env=env,  # noqa: E731
                                        capture_output=True, text=True, timeout=60)
    assert run("m1", "backbone_only").returncode == 0
    train_m1, release_m1, train_bb, release_bb = log.read_text().splitlines()
    for call in (train_m1, train_bb):
        assert call.startswith("-m lda_model.train ") and "--preset lite0 " in call and "--epochs 18" in call and "--resume" in call
    assert "--num-maps 1" in train_m1 and "--mask-loss 1.0" in train_m1 and "--no-spatial" not in train_m1
    assert "--no-spatial --no-temporal" in train_bb and "--mask-loss" not in train_bb
    assert release_m1.startswith("-m lda_model.release ") and "--name m1" in release_m1
    # released to $OUT (assets/weights/next), not over the bundled series it must replace all at once
    assert f"--out {tmp_path / 'out'} " in release_m1 and "only --num-maps 1 changed" in release_m1
    assert "only --no-spatial --no-temporal (and so no --mask-loss) changed" in release_bb
    assert (tmp_path / "out" / "m1" / "README.md").is_file()
    (tmp_path / "out" / "m2").mkdir()  # a release cut off before its card: made again
    (tmp_path / "out" / "m2" / "model.safetensors").touch()
    again = run("m1", "m2")
    assert again.returncode == 0 and "m1: released already" in again.stdout and "m2: released" not in again.stdout
    assert len(log.read_text().splitlines()) == 6 and "--name m2" in log.read_text().splitlines()[-1]
    # a variant that has moved beside `default` is skipped there; an older series' one of the same
    # name (no `variant of default` in its card) is not
    for name, card in (("temporal_only", "A Table V-VII variant of `default`"), ("n2", "Xception lite")):
        (tmp_path / "bundled" / name).mkdir(parents=True)
        (tmp_path / "bundled" / name / "README.md").write_text(f"{card}\n## Measured\n")
    moved = run("temporal_only")
    assert moved.returncode == 0 and f"temporal_only: released already ({tmp_path}/bundled/temporal_only)" in moved.stdout
    assert len(log.read_text().splitlines()) == 6
    assert run("n2").returncode == 0 and "--name n2" in log.read_text().splitlines()[-1]  # trained and released
    bad = run("m9")
    assert bad.returncode == 2 and "unknown variant: m9" in bad.stderr


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_variants_script_releases_nothing_when_training_fails(tmp_path):
    log, env = stand_in_python(tmp_path, then='[[ "$*" == *lda_model.train* ]] && exit 1\nexit 0\n')
    res = subprocess.run(["bash", "scripts/variants.sh", "m1", "m2"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 1
    calls = log.read_text().splitlines()
    assert len(calls) == 1 and calls[0].startswith("-m lda_model.train ")  # stopped at the failure: no release, no m2
    assert not (tmp_path / "out" / "m1").exists()
