"""Make the example clips the app ships (synthetic demos, nothing from ../shared).

    python -m lda_model.data.examples --out assets/examples

From the public-domain astronaut photo (assets/faces): one animated *real* clip and manipulated
versions made with this project's own forgery code — a temporally consistent self-blend (a
spatial defect) and a jittered one (spatial + flicker). Deterministic (fixed seeds).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("GLOG_minloglevel", "2")

import numpy as np

from ..inference.faces import FaceDetector
from .forgery import ForgeryParams, jitter_params, self_blend
from .animation import animate, load_face_photo, write_video
from ..paths import EXAMPLES_DIR

EXAMPLES = {
    "real_astronaut.webm": "REAL (synthetic demo): the photo, gently moving",
    "fake_selfblend.webm": "FAKE (synthetic demo): colour-shifted, resampled face blended onto itself, same every frame",
    "fake_flicker.webm": "FAKE (synthetic demo): a self-blend whose colour and mask jitter from frame to frame",
}


def make_examples(out: Path, num_frames: int = 60, size: int = 320, fps: float = 25.0) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    photo = load_face_photo()
    frames = animate(photo, num_frames, size=(size, size), seed=11, amplitude=0.8)
    with FaceDetector() as det:
        lms = [det.detect(f, i / fps) for i, f in enumerate(frames)]
    if any(not f for f in lms):
        raise RuntimeError("the landmarker lost the face in the example clip")
    lms = [f[0].landmarks for f in lms]
    base = ForgeryParams(region="face", rgb_shift=(18.0, -6.0, -12.0), sat_scale=1.15, resample=0.45,
                         mask_grow=-0.02, mask_blur=0.03, blend=0.9, noise_seed=3)
    rng = np.random.default_rng(5)
    consistent = np.stack([self_blend(f, lm, base)[0] for f, lm in zip(frames, lms)])
    flicker = np.stack([self_blend(f, lm, jitter_params(base, rng, 2.0))[0] for f, lm in zip(frames, lms)])
    paths = [write_video(out / "real_astronaut.webm", frames, fps), write_video(out / "fake_selfblend.webm", consistent, fps),
             write_video(out / "fake_flicker.webm", flicker, fps)]
    (out / "examples.json").write_text(json.dumps(EXAMPLES, indent=1) + "\n")
    return paths


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m lda_model.data.examples", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=str(EXAMPLES_DIR))
    args = p.parse_args(argv)
    for path in make_examples(Path(args.out)):
        print(path, path.stat().st_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
