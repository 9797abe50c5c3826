#!/usr/bin/env bash
# The same distillation work in C++ (this library) and in PyTorch
# (bench/pytorch_steps.py, python3-torch: the same libtorch), alternating,
# several repetitions, median and spread of images/s, and ratios:
#   1. student step (resnet8x4, CE)        3. frozen resnet32x4 forward alone
#   2. EGA step, frozen resnet32x4 teacher  4. evaluation forward (resnet8x4)
#   5. one EGA epoch on Fashion-MNIST with the data pipeline (tools/train vs a
#      PyTorch loop with its DataLoader), also from a teacher feature cache
#   6. peak resident memory of 5.
# Each in fp32 and in bf16 + channels-last, on both sides. Run it alone: a
# build or test beside it makes the figures worthless.
#
#   bash bench/compare_pytorch.sh [--reps N] [--threads N] [--images N]
#                                 [--batch_size N] [--out DIR]
# Writes DIR/results.jsonl and DIR/table.md (default out/bench).
set -euo pipefail
cd "$(dirname "$0")/.."

REPS=3 THREADS=2 IMAGES=2048 BATCH=64 OUT=out/bench BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --images) IMAGES="$2"; shift 2 ;;
    --batch_size) BATCH="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --no_build) BUILD=0; shift ;;
    *) echo "compare_pytorch: unknown argument $1" >&2; exit 2 ;;
  esac
done
PY=/usr/bin/python3  # python3-torch
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS="$THREADS"

bash scripts/setup.sh >/dev/null
if [ "$BUILD" = 1 ]; then
  bazel build -c opt //bench:step_bench //tools:train //tools:build_teacher_cache
fi
BIN=bazel-out/k8-opt/bin  # the release build, as users run the tools
mkdir -p "$OUT/runs"
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
echo "compare_pytorch: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 |
  sed 's/^ //'), $(nproc) cores, $THREADS threads, load $(cut -d' ' -f1 \
  /proc/loadavg), $REPS repetitions"

# One C++ EGA epoch of tools/train: images/s from its metrics, peak RSS.
cpp_epoch() {  # precision channels_last teacher_flags...
  local precision="$1" cl="$2"
  shift 2
  local dir="$OUT/runs/epoch_${precision}_${cl}_$RANDOM"
  rm -rf "$dir"
  "$PY" bench/peak_rss.py "$dir.rss" "$BIN/tools/train" --mode=sequential \
    --student=resnet8x4 --teacher=resnet32x4 "$@" \
    --loss=ce --loss=ega:node=0.8,edge=0.24 --train_subset="$IMAGES" \
    --eval_subset=10 --epochs=1 --batch_size="$BATCH" --lr=0.05 \
    --threads="$THREADS" --precision="$precision" --channels_last="$cl" \
    --progress=false --out_dir="$dir" >"$dir.log" 2>&1 || {
    cat "$dir.log" >&2
    exit 1
  }
  "$PY" - "$dir" "$precision" "$cl" "$BATCH" "$THREADS" "$*" <<'PYEOF'
import json, sys
d, precision, cl, batch, threads, flags = sys.argv[1:]
rows = [json.loads(l) for l in open(d + "/metrics.jsonl")]
rss = json.load(open(d + ".rss"))["peak_rss_mib"]
work = "epoch_cached" if "cache:" in flags else "epoch"
print(json.dumps({"side": "c++", "work": work, "precision": precision,
                  "channels_last": cl == "true", "batch_size": int(batch),
                  "threads": int(threads),
                  "images_per_s": rows[-1]["images_per_s"],
                  "peak_rss_mib": rss}))
PYEOF
}

# A frozen random resnet32x4 teacher for the epochs, and its feature cache.
TEACHER="$OUT/teacher.pt"
if [ ! -f "$TEACHER" ]; then
  "$BIN/tools/train" --mode=teacher --teacher=resnet32x4 --epochs=1 \
    --max_steps_per_epoch=1 --train_subset=64 --eval_subset=10 \
    --threads="$THREADS" --progress=false --out_dir="$OUT/runs/teacher" \
    >/dev/null 2>&1
  cp "$OUT/runs/teacher/best.pt" "$TEACHER"
fi
CACHE="$OUT/teacher_cache.bin"
if [ ! -f "$CACHE" ]; then
  "$BIN/tools/build_teacher_cache" --teacher=resnet32x4 \
    --teacher_checkpoint="$TEACHER" --train_subset="$IMAGES" --views=4 \
    --threads="$THREADS" --precision=bf16 --channels_last --out="$CACHE" \
    >/dev/null 2>&1
fi

for rep in $(seq "$REPS"); do
  for work in student ega teacher eval; do
    "$BIN/bench/step_bench" --work="$work" --batch_size="$BATCH" \
      --threads="$THREADS" >>"$RESULTS"
    "$BIN/bench/step_bench" --work="$work" --batch_size="$BATCH" \
      --threads="$THREADS" --precision=bf16 --channels_last >>"$RESULTS"
    "$PY" bench/pytorch_steps.py --work="$work" --batch_size="$BATCH" \
      --threads="$THREADS" >>"$RESULTS"
    "$PY" bench/pytorch_steps.py --work="$work" --batch_size="$BATCH" \
      --threads="$THREADS" --bf16 >>"$RESULTS"
  done
  cpp_epoch fp32 false --teacher_checkpoint="$TEACHER" >>"$RESULTS"
  cpp_epoch bf16 true --teacher_checkpoint="$TEACHER" >>"$RESULTS"
  cpp_epoch bf16 true --teacher="cache:$CACHE" \
    --teacher_head_checkpoint="$TEACHER" >>"$RESULTS"
  "$PY" bench/pytorch_steps.py --work=epoch --images="$IMAGES" \
    --batch_size="$BATCH" --threads="$THREADS" >>"$RESULTS"
  "$PY" bench/pytorch_steps.py --work=epoch --images="$IMAGES" \
    --batch_size="$BATCH" --threads="$THREADS" --bf16 >>"$RESULTS"
  echo "compare_pytorch: repetition $rep/$REPS done (load $(cut -d' ' -f1 /proc/loadavg))"
done
"$PY" bench/compare_table.py "$RESULTS" >"$OUT/table.md"
cat "$OUT/table.md"
