#!/usr/bin/env bash
# Data-parallel step time on this machine: the same EGA distillation
# (resnet32x4 frozen teacher -> resnet8x4, ce + ega, global batch 64) as
#   A. 1 process x 2 threads, batch 64
#   B. 2 processes x 1 thread, batch 32 each, the whole batch's graph
#      (embeddings all-gathered; the default)
#   C. as B with per-rank graphs (--dist_graph=local)
#   D. as B with synchronised BatchNorm (--sync_bn)
# alternating, several repetitions, median images/s (rank 0's record: the
# global batch over its epoch time) and the all-reduce time each step waited
# after its backward pass (the communication the backward pass did not
# hide), from rank 0's log. Run it alone: anything beside it on 2 cores
# makes the figures worthless.
#
#   bash bench/ddp_bench.sh [--reps N] [--steps N] [--out DIR] [--no_build]
# Writes DIR/results.jsonl and DIR/table.md (default out/ddp_bench).
set -euo pipefail
cd "$(dirname "$0")/.."

REPS=3 STEPS=16 OUT=out/ddp_bench BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --no_build) BUILD=0; shift ;;
    *) echo "ddp_bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
PY=/usr/bin/python3
export OMP_WAIT_POLICY=PASSIVE
bash scripts/setup.sh >/dev/null
[ "$BUILD" = 1 ] && bazel build -c opt //tools:train
TRAIN=bazel-out/k8-opt/bin/tools/train
rm -rf "$OUT"; mkdir -p "$OUT/runs"
COMMON=(--dataset=fashion_mnist --train_subset=$((STEPS * 64)) --eval_subset=100
        --loader_workers=1 --progress=false --seed=1 --epochs=1 --lr_schedule=constant)
"$TRAIN" "${COMMON[@]}" --mode=teacher --teacher=resnet32x4 --batch_size=64 \
  --max_steps_per_epoch=1 --threads=2 --out_dir="$OUT/runs/teacher" >"$OUT/teacher.log" 2>&1
STUDENT=("${COMMON[@]}" --mode=sequential --teacher=resnet32x4 --student=resnet8x4
         --teacher_checkpoint="$OUT/runs/teacher/checkpoint.pt" --loss=ce --loss=ega)

run() {  # name rep [launch-prefix...] -- flags
  local name=$1 rep=$2; shift 2
  local dir="$OUT/runs/$name.$rep"
  "$@" --out_dir="$dir" >"$dir.log" 2>&1
  "$PY" - "$name" "$rep" "$dir" "$dir.log" >>"$OUT/results.jsonl" <<'PYEOF'
import json, re, sys
name, rep, d, log = sys.argv[1:]
record = json.loads(open(f"{d}/metrics.jsonl").readline())
waits = [float(m) for m in re.findall(r"([0-9.]+) ms per step waited", open(log).read())]
mb = re.findall(r"([0-9.]+) MB of gradients", open(log).read())
print(json.dumps({"config": name, "rep": int(rep), "images_per_s": record["images_per_s"],
                  "allreduce_wait_ms": waits[0] if waits else None,
                  "allreduce_mb": float(mb[0]) if mb else None}))
PYEOF
}
echo "ddp_bench: $REPS repetitions of 4 configurations, $STEPS steps of 64 images each; load $(cut -d' ' -f1 /proc/loadavg)"
for rep in $(seq 1 "$REPS"); do
  run A "$rep" "$TRAIN" "${STUDENT[@]}" --batch_size=64 --threads=2
  for config in B C D; do
    extra=()
    [ $config = C ] && extra=(--dist_graph=local)
    [ $config = D ] && extra=(--sync_bn)
    run $config "$rep" bash scripts/launch_local.sh 2 "$TRAIN" "${STUDENT[@]}" \
      --batch_size=32 --threads=1 "${extra[@]}"
  done
done
"$PY" - "$OUT/results.jsonl" "$(nproc)" "$(cut -d' ' -f1 /proc/loadavg)" >"$OUT/table.md" <<'PYEOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
names = {"A": "1 process x 2 threads, batch 64",
         "B": "2 processes x 1 thread, batch 32, whole-batch graph",
         "C": "2 processes x 1 thread, batch 32, per-rank graphs",
         "D": "2 processes x 1 thread, batch 32, whole-batch graph, sync BN"}
base = statistics.median(r["images_per_s"] for r in rows if r["config"] == "A")
print(f"| configuration | img/s (median, min-max) | vs A | all-reduce MB/step | waited ms/step |")
print("|---|---|---|---|---|")
for c in "ABCD":
    rs = [r for r in rows if r["config"] == c]
    ips = [r["images_per_s"] for r in rs]
    med = statistics.median(ips)
    wait = [r["allreduce_wait_ms"] for r in rs if r["allreduce_wait_ms"] is not None]
    mb = rs[0]["allreduce_mb"]
    print(f"| {c}. {names[c]} | {med:.1f} ({min(ips):.1f}-{max(ips):.1f}) | {med / base:.2f}x | "
          f"{'-' if mb is None else f'{mb:.2f}'} | {'-' if not wait else f'{statistics.median(wait):.1f}'} |")
print(f"\n{sys.argv[2]} cores, load at the end {sys.argv[3]}, {len(rows) // 4} repetitions")
PYEOF
cat "$OUT/table.md"
