#!/usr/bin/env bash
# Train and evaluate the paper preset on one rented GPU inside a fixed wall time.
#
#   python -m tools.cache_pack pack cache/real_faces packed/real_faces     # here: 829 MB -> 57 MB
#   (160-px crops, upscaled to the paper preset's 398 px, as train warns: a 398-px pack would be ~6x larger
#   than a rented machine's 64 MiB transfer; a cache prepared with --crop 398 there avoids the upscaling)
#   bash scripts/paper_on_gpu.sh packed/real_faces results/ 5                  # there: 5 min of training
#
# Steps: unpack the packed cache; measure the model's and the data pipeline's clips/s
# (benchmarks.train_step, also a preflight: it stops the script before training if the model
# or the data fail); train with `xception_lite`'s recipe (AdamW 1e-3, wd 0.01, cosine, batch 16; bf16 autocast)
# fitted to the budget by `train --time-budget`; evaluate the best epoch on the val and test
# splits (three forgery seeds each, model on the GPU). Each result reaches OUT as soon as it
# exists: train_step.json, train.log (the evaluations' errors appended), eval_val.json,
# eval_test.json; last, run/best as fp16 safetensors with metrics.jsonl in OUT/paper_run.tar.gz,
# split into 15 MiB pieces (paper_run.tar.gz.part-aa, -ab, ...; at most 8 files come back from a
# rented machine here, 16 MiB each). Join with `cat OUT/paper_run.tar.gz.part-* | tar xz`.
# Environment overrides (for rehearsals on a CPU): PRESET, BATCH, EPOCHS, EPOCH_SIZE, VAL_SIZE,
# SEEDS, WORKERS, TRAIN_EXTRA, EVAL_TIMEOUT, PYTHON, WORK. Each step has a time limit, so the
# results are packed even when a step overruns.
set -uo pipefail
PACKED=$1 OUT=$2 MINUTES=${3:-5}
PY=${PYTHON:-python3} PRESET=${PRESET:-paper} BATCH=${BATCH:-16} SEEDS=${SEEDS:-3}
WORK=${WORK:-/tmp/lda_gpu_run}
NPROC=$(nproc) WORKERS=${WORKERS:-$(( $(nproc) - 1 ))}
export PYTHONUNBUFFERED=1 GLOG_minloglevel=2
log() { echo "[$(date +%T)] $*"; }
mkdir -p "$OUT" "$WORK/pack"
# DataLoader workers hand batches over in shared memory: a paper-preset batch of 16 clips is 122 MB.
# Only on a machine with an NVIDIA GPU (a rented one): never resize a workstation's or a CI runner's.
if command -v nvidia-smi >/dev/null 2>&1; then mount -o remount,size=48G /dev/shm 2>/dev/null || true; fi
df -h /dev/shm | tail -1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
$PY -c "import torch, timm, cv2, huggingface_hub as h; print('torch', torch.__version__, 'timm', timm.__version__, 'cv2', cv2.__version__, 'hub', h.__version__, 'cuda', torch.cuda.is_available())"

log "unpack"
$PY -m tools.cache_pack unpack "$PACKED" "$WORK/cache" --workers "$NPROC" || exit 10
log "preflight + throughput"
timeout -k 5 100 $PY -m benchmarks.train_step --preset "$PRESET" --batch-size "$BATCH" --steps 5 --data "$WORK/cache" \
    --workers "$WORKERS" --batches 30 --json | tee "$OUT/train_step.json" || exit 11
log "train ($MINUTES min budget)"
# killed 60 s past the budget at the latest: run/best then holds the best finished epoch
timeout -k 10 "$($PY -c "print(int(float('$MINUTES') * 60 + 60))")" $PY -m lda_model.train --preset "$PRESET" --data "$WORK/cache" --out "$WORK/run" --optimizer adamw --lr 1e-3 \
    --weight-decay 0.01 --cosine --epochs "${EPOCHS:-20}" --epoch-size "${EPOCH_SIZE:-4096}" --val-size "${VAL_SIZE:-512}" \
    --batch-size "$BATCH" --workers "$WORKERS" --time-budget "$MINUTES" --name "$PRESET-synthetic" ${TRAIN_EXTRA:-} \
    2>&1 | tee "$OUT/train.log"
log "evaluate"
for split in val test; do
    timeout -k 5 "${EVAL_TIMEOUT:-110}" $PY -m lda_model.evaluate synthetic --data "$WORK/cache" --split $split --seeds "$SEEDS" --weights "$WORK/run/best" \
        --device auto --json > "$OUT/eval_$split.json" 2> "$WORK/eval_$split.err" &
done
wait
tail -n 5 "$WORK"/eval_*.err | tee -a "$OUT/train.log"
log "pack results"
cp "$WORK/run/metrics.jsonl" "$WORK/pack/" 2>/dev/null
# fp16, as lda_model.release.ship stores weights
$PY -c "import sys; from lda_model import LDADetector; LDADetector.from_pretrained(sys.argv[1]).half().save_pretrained(sys.argv[2])" \
    "$WORK/run/best" "$WORK/pack/best" && du -sh "$WORK/pack/best/model.safetensors"
tar czf "$WORK/paper_run.tar.gz" -C "$WORK/pack" . && split -b 15M "$WORK/paper_run.tar.gz" "$OUT/paper_run.tar.gz.part-"
ls -la "$OUT"
for split in val test; do
    $PY -c "import json,sys; r=json.load(open(sys.argv[1])); print(sys.argv[2], 'video', r['video'], 'by seed', r['video_auc_by_seed'])" \
        "$OUT/eval_$split.json" $split 2>/dev/null
done
log "done"
