#!/usr/bin/env bash
# Checks that a change leaves training results unchanged: builds tools/train
# at a base revision and from the working tree, runs the same small runs with
# both (a teacher run, then sequential and simultaneous ce + ega + kd
# distillations from that teacher, on a Fashion-MNIST subset, seeded, one
# thread) and compares the trained networks' files byte for byte and
# metrics.csv without its wall-clock columns (images_per_s, epoch_seconds).
#
#   bash scripts/same_results.sh [BASE_REV]     # default: HEAD
#
# Exit code 0 when everything is identical, 1 when something differs (the
# differences are printed), 2 on bad usage. Refactorings that promise
# "behaviour unchanged" run it against the revision before them.
set -euo pipefail
cd "$(dirname "$0")/.."
base="${1:-HEAD}"
git rev-parse --verify --quiet "$base^{commit}" >/dev/null || {
  echo "same_results: '$base' is not a revision" >&2
  exit 2
}
bash scripts/setup.sh >/dev/null

work="$(mktemp -d)"
cleanup() {
  git worktree remove --force "$work/base" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
git worktree add --detach --quiet "$work/base" "$base"

build() {  # build <checkout>; prints the path of its train binary
  (cd "$1" && bazel build --noshow_progress //tools:train >&2 &&
    echo "$(cd "$1" && bazel info bazel-bin 2>/dev/null)/tools/train")
}
echo "same_results: building tools/train at $base and from the working tree" >&2
base_train="$(build "$work/base")"
this_train="$(build .)"
(cd "$work/base" && bazel shutdown >/dev/null 2>&1) || true

DATA_DIR="${KD_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
COMMON=(--dataset=fashion_mnist --data_dir="$DATA_DIR" --train_subset=640
        --eval_subset=320 --epochs=2 --batch_size=64 --lr_schedule=cosine
        --seed=3 --threads=1 --loader_workers=2 --progress=false)
runs() {  # runs <train binary> <out dir>
  "$1" "${COMMON[@]}" --mode=teacher --teacher=resnet8 --out_dir="$2/teacher"
  for mode in sequential simultaneous; do
    "$1" "${COMMON[@]}" --mode=$mode --teacher=resnet8 \
      --teacher_checkpoint="$2/teacher/checkpoint.pt" --student=resnet8 \
      --loss=ce --loss=ega:node=0.8,edge=0.24 --loss=kd:T=4 \
      --out_dir="$2/$mode"
  done
}
runs "$base_train" "$work/out_base" 2>"$work/base.log" || {
  cat "$work/base.log" >&2
  exit 1
}
runs "$this_train" "$work/out_this" 2>"$work/this.log" || {
  cat "$work/this.log" >&2
  exit 1
}

python3 - "$work/out_base" "$work/out_this" <<'PYEOF'
import csv, filecmp, sys
a, b = sys.argv[1:]
wall = {"images_per_s", "epoch_seconds"}
def table(path):
    with open(path) as f:
        return [{k: v for k, v in row.items() if k not in wall} for row in csv.DictReader(f)]
different = []
for run, role in (("teacher", "teacher"), ("sequential", "student"), ("simultaneous", "student")):
    for name in (f"{role}_final.pt", f"{role}_head_final.pt"):
        if not filecmp.cmp(f"{a}/{run}/{name}", f"{b}/{run}/{name}", shallow=False):
            different.append(f"{run}/{name}")
    if table(f"{a}/{run}/metrics.csv") != table(f"{b}/{run}/metrics.csv"):
        different.append(f"{run}/metrics.csv")
if different:
    print("same_results: DIFFERENT: " + ", ".join(different))
    sys.exit(1)
print("same_results: identical: teacher, sequential and simultaneous runs "
      "(final networks byte for byte, metrics.csv without wall-clock columns)")
PYEOF
