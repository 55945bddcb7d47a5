"""The training faces' brightness and detail percentiles: the reference `inference/quality.py` compares with.

    python -m tools.quality_reference --data cache/real_faces [--split train] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys

from lda_model.data.store import SegmentStore
from lda_model.inference.quality import reference_table


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.quality_reference", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="folder written by python -m lda_model.data.prepare")
    p.add_argument("--split", default="train")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    try:
        table = reference_table(SegmentStore(args.data, args.split))
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(table))
    else:
        for kind, row in table.items():
            print(f"{args.split} {kind:6s} {row['segments']:5d} segments  brightness p1/p5/p50 "
                  f"{row['brightness_p1_p5_p50']}  detail p1/p5/p50 {row['detail_p1_p5_p50']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
