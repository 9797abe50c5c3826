#!/usr/bin/env bash
# Start-up time, peak memory and loader throughput of a synthetic image
# folder (N real 64x64 JPEGs in 100 class folders, written first), read
#   1. eagerly:  image_folder:preload=true  (every JPEG decoded at start-up)
#   2. lazily:   image_folder               (decoded in the loader's workers)
#   3. lazily with a bounded cache: image_folder:cache_mb=M
# each in a process of its own (its peak RSS is its own), two shuffled epochs
# through the DataLoader without augmentation. Run it alone on a quiet
# machine: a build beside it makes the figures worthless.
#
#   bash bench/lazy_data_bench.sh [--images N] [--side S] [--workers W]
#                                 [--cache_mb M] [--dir DIR] [--keep]
# Writes DIR/results.jsonl and DIR/table.md (default out/lazy_bench); the
# image folder DIR/images is removed afterwards unless --keep is given (a
# later run with the same --images and --side reuses a kept one).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGES=100000 SIDE=64 WORKERS=2 CACHE_MB=256 OUT=out/lazy_bench KEEP=0 BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --images) IMAGES="$2"; shift 2 ;;
    --side) SIDE="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --cache_mb) CACHE_MB="$2"; shift 2 ;;
    --dir) OUT="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no_build) BUILD=0; shift ;;
    *) echo "lazy_data_bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1

if [ "$BUILD" = 1 ]; then bazel build -c opt //bench:lazy_data_bench; fi
BIN=bazel-out/k8-opt/bin/bench/lazy_data_bench
DATA="$OUT/images"
mkdir -p "$OUT"
STAMP="$DATA/.generated_${IMAGES}_${SIDE}"
if [ ! -e "$STAMP" ]; then
  rm -rf "$DATA"
  start=$(date +%s.%N)
  "$BIN" --generate="$DATA" --images="$IMAGES" --side="$SIDE" --classes=100
  touch "$STAMP"
  echo "lazy_data_bench: wrote $IMAGES images ($(du -sh "$DATA" | cut -f1)) in" \
    "$(echo "$(date +%s.%N) - $start" | bc) s"
fi
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
for spec in "image_folder:preload=true" "image_folder" \
  "image_folder:cache_mb=$CACHE_MB"; do
  "$BIN" --measure="$DATA" --spec="$spec" --workers="$WORKERS" \
    --batch_size=256 --epochs=2 | tee -a "$RESULTS"
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$RESULTS" "$OUT/table.md" "$IMAGES" "$SIDE" "$WORKERS" \
  "$LOAD_BEFORE" "$LOAD_AFTER" <<'PY'
import json, sys
results, table, images, side, workers, before, after = sys.argv[1:]
rows = [json.loads(line) for line in open(results)]
lines = [
    f"{images} JPEGs of {side}x{side}, {workers} loader workers, batch 256, "
    f"load average {before} before, {after} after",
    "",
    "| spec | Create | RSS after Create | epoch 1 | epoch 2 | peak RSS |",
    "|---|---|---|---|---|---|",
]
for r in rows:
    e = r["epochs"]
    lines.append(
        f"| `{r['spec']}` | {r['create_s']:.2f} s | "
        f"{r['rss_after_create_mib']:.0f} MiB "
        f"(+{r['rss_after_create_mib'] - r['rss_before_create_mib']:.0f}) | "
        f"{e[0]['epoch_s']:.2f} s ({e[0]['images_per_s']:.0f}/s) | "
        f"{e[1]['epoch_s']:.2f} s ({e[1]['images_per_s']:.0f}/s) | "
        f"{r['peak_rss_mib']:.0f} MiB |")
open(table, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
if [ "$KEEP" = 0 ]; then rm -rf "$DATA"; fi
