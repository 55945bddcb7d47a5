#!/usr/bin/env bash
# Train the paper's Table V-VII variants on the shipped default's recipe and release each (fp16 + model
# card) into $OUT (assets/weights/next, tracked, so a finished variant outlives the session), one after another;
# a variant already released there, or moved to $BUNDLED (assets/weights) beside `default`, is skipped:
#
#   bash scripts/variants.sh                     # all ten, in the order below (those not released yet)
#   bash scripts/variants.sh m1 n2               # just these
#
# Each run saves its state every epoch and is started with --resume: when a session ends mid-run,
# the same command continues where it stopped (finished runs are released once and then skipped).
# One run takes about as long as the default's (18 epochs, ~1.5 h on 2 cores), so all ten are
# ~15 h of CPU: a few per session, or one rented GPU. The recipe is the default's card's exactly,
# with a fixed epoch count (the default's 18) instead of its --time-budget, so a run's length does
# not depend on how busy the machine was during its first epoch; only the variant's own setting
# differs. `backbone_only` has no attention branch, so it trains without the mask loss.
# Within one paper table the bundled variants share their full model's recipe (lda_model/inference/weights.py):
# all ten are this recipe's and live in $BUNDLED beside `default`, each table's full model. A retraining (a new
# default recipe) releases into $OUT, which the app does not list (bundled_weights() looks one level down only),
# and a table's variants move to $BUNDLED together once all of them are there, never some, or the table would
# mix two recipes (tests/test_bundled.py::test_each_paper_table_is_one_recipe fails if it does).
# Environment: DATA (cache/real_faces), RUNS (runs/variants), OUT (assets/weights/next), BUNDLED (assets/weights),
# SHARED (../shared/data), PYTHON (the interpreter with the project installed).
set -euo pipefail
DATA=${DATA:-cache/real_faces} RUNS=${RUNS:-runs/variants} SHARED=${SHARED:-../shared/data} PY=${PYTHON:-python}
OUT=${OUT:-assets/weights/next} BUNDLED=${BUNDLED:-assets/weights}
RECIPE="--preset lite0 --optimizer adamw --lr 3e-4 --weight-decay 0.01 --cosine --epochs 18 --forgery-regions parts"
declare -A SETTING=(
    [backbone_only]="--no-spatial --no-temporal"
    [spatial_only]="--no-temporal"
    [temporal_only]="--no-spatial"
    [m1]="--num-maps 1" [m2]="--num-maps 2"
    [m3]="--num-maps 3" [m5]="--num-maps 5"
    [n2]="--num-frames 2" [n4]="--num-frames 4"
    [n5]="--num-frames 5"
)
ORDER=(temporal_only spatial_only backbone_only m1 m2 m3 m5 n2 n4 n5)
[ $# -gt 0 ] && ORDER=("$@")
for name in "${ORDER[@]}"; do
    [ -n "${SETTING[$name]+x}" ] || { echo "unknown variant: $name (one of ${!SETTING[*]})" >&2; exit 2; }
done
for name in "${ORDER[@]}"; do
    run="$RUNS/$name"
    # a release writes its weights first and its card (with the Measured section) last: without that card the
    # release was cut off, and it is made again
    # (a variant that has moved to $BUNDLED says in its card that it is a variant of `default`)
    done_in=""
    for folder in "$OUT/$name" "$BUNDLED/$name"; do
        if grep -qs '^## Measured' "$folder/README.md" && grep -qs 'variant of `default`' "$folder/README.md"; then
            done_in=$folder
        fi
    done
    if [ -n "$done_in" ]; then echo "$name: released already ($done_in)"; continue; fi
    echo "[$(date +%T)] train $name"
    mask="--mask-loss 1.0" changed=${SETTING[$name]}
    # the mask loss supervises the attention, which backbone_only does not have
    [ "$name" = backbone_only ] && mask="" changed="${SETTING[$name]} (and so no --mask-loss)"
    # shellcheck disable=SC2086  # RECIPE, mask and SETTING are word lists on purpose
    "$PY" -m lda_model.train --data "$DATA" --out "$run" $RECIPE $mask ${SETTING[$name]} --name "$name" --resume
    echo "[$(date +%T)] release $name"
    "$PY" -m lda_model.release --run "$run" --name "$name" --out "$OUT" --data "$DATA" --external "$SHARED/external_dev" \
        --videos "$SHARED/real_faces/videos" --manifest "$SHARED/real_faces/MANIFEST.tsv" \
        --note "A Table V-VII variant of \`default\`: its recipe (scripts/variants.sh), only $changed changed."
done
