"""Measure a shipped checkpoint's localization again and update its card in place:

    python -m lda_model.release.remeasure --weights default --data cache/real_faces \
        --videos ../shared/data/real_faces/videos --manifest ../shared/data/real_faces/MANIFEST.tsv

For when the evaluation gains a map (a new post-hoc map in `inference/gradcam.py`) after the training run
that a full `python -m lda_model.release` needs is gone: the weights are not touched; every localization
row of the card's metadata and its *localization* bullet (summary and command) are replaced by the new
report's, the same `evaluate localization` command the release runs, and the bullet says when and from
which cache it was measured again. The other bullets and rows stay the release's: where the cache was
prepared again since (another MediaPipe gives slightly different landmarks, so other blend masks), the
blend numbers in the *synthetic* bullet can differ a little from the new ones.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path

from ..arguments import positive_int
from ..inference.weights import resolve_source
from .cards import has_measured, replace_measured
from .ship import Measured, measure_localization, measured_line

# the card's metadata rows a localization report makes (`ship.localization_results`): all of them are replaced
LOCALIZATION_DATASETS = frozenset({"localization-heldout", "localization-random", "blend-attention-test",
                                   "blend-attention-random"})


def remeasure_localization(weights: str, data: Path, videos: str, manifest: str | None, points: int = 16) -> dict:
    """Re-run the release's localization measurement on a bundled or local checkpoint folder and write it
    into that folder's card; returns the report. ValueError, before measuring, when the weights have no card with a
    *Measured* section (`WeightsError`, a ValueError, for an unknown source)."""
    info = resolve_source(weights)
    if info.kind == "hub":
        raise ValueError(f"{weights} is a Hub repo: download it and re-measure the local folder")
    card = Path(info.location) / "README.md"
    if not card.is_file() or not has_measured(card.read_text(encoding="utf-8")):
        raise ValueError(f"{weights}: no model card with a '## Measured' section to update ({card})")
    m = Measured()
    measure_localization(m, weights, videos, manifest, points, data)
    (key, command), = m.commands
    note = (f"\n  (measured again on {datetime.date.today().isoformat()} by `python -m lda_model.release.remeasure`, "
            f"blend masks from the cache `{data}` as prepared then; the other bullets are the release's)")
    replace_measured(card.parent, m.results, key, measured_line(key, m.numbers[key], command) + note,
                     LOCALIZATION_DATASETS)
    return m.numbers[key]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m lda_model.release.remeasure", description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", required=True, help="a bundled checkpoint's name or a checkpoint folder with a card")
    p.add_argument("--data", required=True, help="the prepare cache whose test split gives the blend patch AUCs")
    p.add_argument("--videos", required=True, help="real clips for the Fig. 8 defects")
    p.add_argument("--manifest", default=None, help="keeps the clips of val + test identities only")
    p.add_argument("--points", type=positive_int, default=16)
    args = p.parse_args(argv)
    try:
        res = remeasure_localization(args.weights, Path(args.data), args.videos, args.manifest, args.points)
    except ValueError as err:
        raise SystemExit(f"error: {err}") from None
    print(json.dumps({k: v for k, v in res.items() if k not in ("per_defect", "blend_attention", "random_weights")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
