#!/usr/bin/env bash
# The main job: installs the dependencies, builds the trainer (release,
# -c opt) and runs a small, complete distillation experiment on
# Fashion-MNIST, then prints teacher / plain student / EGA student accuracy.
#
#   1. teacher:       resnet20 + embedding head, cross-entropy (--mode=teacher)
#   2. plain student: resnet8 + embedding head, cross-entropy only
#   3. EGA student:   resnet8, cross-entropy + EGA (node 0.8, edge 0.24) from
#                     the frozen teacher and its frozen head (--mode=sequential)
#
# Both students use the same seed, subset, schedule and epochs: the same
# initial weights, batch order and augmentation, so they are comparable. The
# plain student is trained with --mode=teacher --teacher=resnet8, which is
# the CE-only student's exact computation without a teacher forward pass.
#
# To fit in minutes on 2 CPU cores it trains on a class-balanced subset and
# for a few epochs (sizes below; override with the environment variables).
# Fashion-MNIST's 28x28 grey images are zero-padded to 32x32 and repeated to
# 3 channels; random crop (4 px) + flip.
set -euo pipefail
cd "$(dirname "$0")/.."

TRAIN_SUBSET="${KD_MAIN_TRAIN_SUBSET:-3000}"
EVAL_SUBSET="${KD_MAIN_EVAL_SUBSET:-1000}"
TEACHER_EPOCHS="${KD_MAIN_TEACHER_EPOCHS:-8}"
STUDENT_EPOCHS="${KD_MAIN_STUDENT_EPOCHS:-8}"
SEED="${KD_MAIN_SEED:-1}"
OUT="${KD_MAIN_OUT:-out/main_job}"  # out/ is git-ignored
DATA_DIR="${KD_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"

start=$SECONDS
bash scripts/setup.sh
bazel build -c opt //tools:train //tools:evaluate
built=$SECONDS
TRAIN="bazel-bin/tools/train"

rm -rf "$OUT"
mkdir -p "$OUT"
COMMON=(--dataset=fashion_mnist --data_dir="$DATA_DIR"
        --train_subset="$TRAIN_SUBSET" --eval_subset="$EVAL_SUBSET"
        --batch_size=64 --lr=0.05 --lr_schedule=cosine --seed="$SEED")

echo "== 1/3 teacher: resnet20, $TEACHER_EPOCHS epochs"
"$TRAIN" "${COMMON[@]}" --mode=teacher --teacher=resnet20 \
  --epochs="$TEACHER_EPOCHS" --out_dir="$OUT/teacher"

echo "== 2/3 plain student: resnet8, CE only, $STUDENT_EPOCHS epochs"
"$TRAIN" "${COMMON[@]}" --mode=teacher --teacher=resnet8 --loss=ce \
  --epochs="$STUDENT_EPOCHS" --out_dir="$OUT/plain_student"

echo "== 3/3 EGA student: resnet8, CE + EGA from the frozen teacher, $STUDENT_EPOCHS epochs"
"$TRAIN" "${COMMON[@]}" --mode=sequential --teacher=resnet20 \
  --teacher_checkpoint="$OUT/teacher/best.pt" --student=resnet8 \
  --loss=ce --loss=ega:node=0.8,edge=0.24 \
  --epochs="$STUDENT_EPOCHS" --out_dir="$OUT/ega_student"
done_at=$SECONDS

python3 - "$OUT" "$TRAIN_SUBSET" "$EVAL_SUBSET" <<'PYEOF'
import json, sys
out, train_subset, eval_subset = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [("teacher", "resnet20", "ce", "teacher"),
        ("plain student", "resnet8", "ce", "plain_student"),
        ("EGA student", "resnet8", "ce + ega(node 0.8, edge 0.24)", "ega_student")]
print()
print(f"Fashion-MNIST: {train_subset} training images (class-balanced subset of 60000),")
print(f"evaluated on {eval_subset} test images (class-balanced subset of 10000); 28x28 grey -> 32x32x3.")
print(f"{'run':<14} {'network':<9} {'loss':<30} {'epochs':>6} {'last top-1':>11} {'best top-1':>11} {'time':>7}")
for name, net, loss, d in rows:
    s = json.load(open(f"{out}/{d}/summary.json"))
    print(f"{name:<14} {net:<9} {loss:<30} {s['epochs_done']:>6} "
          f"{s['last_top1']:>10.2f}% {s['best_top1']:>10.2f}% {s['seconds']:>6.0f}s")
print(f"(runs, metrics and learning curves in {out}/)")
PYEOF
echo "wall time: $((done_at - start)) s ($((built - start)) s setup + build, $((done_at - built)) s training)"
