#!/usr/bin/env bash
# The main job: installs the dependencies, builds the tools (release, -c opt)
# and runs a small, complete distillation experiment on Fashion-MNIST where a
# teacher's knowledge matters, then prints a table of the students.
#
#   1. teacher:  resnet8 + embedding head, cross-entropy (--mode=teacher) on
#                KD_MAIN_TEACHER_IMAGES training images (40x the students')
#   2. students: resnet8 on a label budget (KD_MAIN_STUDENT_IMAGES labelled
#                images, a subset of the teacher's), one run per row and seed:
#                  plain     CE
#                  KD        0.1 CE + 0.9 KD (T = 4), the CIFAR benchmarks' KD
#                  EGA       CE + ega(node 0.8, edge 0.24), the paper's weights
#                  EGA + KD  0.1 CE + 0.9 KD + ega(0.8, 0.24): the paper's
#                            combined row
#                  RKD       CE + rkd (distance 25, angle 50, RepDistiller's
#                            weights): the strongest baseline of
#                            scripts/reproduce.sh at this scale
#                the distilled rows with the teacher and its head frozen
#                (--mode=sequential); the teacher sees its own crop + flip of
#                each image, as in the reference.
#
# The teacher knows more than a student because it saw more labelled images
# (the setting of a label budget, or of a teacher trained on a large data
# set); it has the student's architecture, which keeps the job in minutes.
# For a seed, every student shares its initial weights, batch order,
# augmentation and schedule: a distillation run with zero loss weights ends
# with the plain student's weights bit for bit
# (tests/train/trainer_test.cc, ZeroWeightDistillationEqualsThePlainStudent),
# so a row differs from the plain one only by its loss. The table shows each
# row's mean +- sd over the seeds and its paired difference to the plain
# student, seed by seed.
#
# KD_MAIN_PRECISION=bf16 runs every network in bf16 autocast with
# channels-last convolutions (train --precision=bf16 --channels_last; see
# docs/speed.md); default fp32.
#
# Sizes come from the environment (KD_MAIN_*); the defaults keep the training
# part near 8 minutes on 2 CPU cores. Fashion-MNIST's 28x28 grey images are
# zero-padded to 32x32 and repeated to 3 channels; random crop (4 px) + flip.
# Students are evaluated (after their last epoch) on class-balanced test
# images that neither the teacher nor the students trained on.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib/experiments.sh

TEACHER="${KD_MAIN_TEACHER:-resnet8}"
TEACHER_IMAGES="${KD_MAIN_TEACHER_IMAGES:-40000}"
TEACHER_EPOCHS="${KD_MAIN_TEACHER_EPOCHS:-2}"
STUDENT="${KD_MAIN_STUDENT:-resnet8}"
STUDENT_IMAGES="${KD_MAIN_STUDENT_IMAGES:-1000}"
STUDENT_EPOCHS="${KD_MAIN_STUDENT_EPOCHS:-12}"
EVAL_IMAGES="${KD_MAIN_EVAL_IMAGES:-2000}"
SEEDS="${KD_MAIN_SEEDS:-1 2 3}"
PRECISION="${KD_MAIN_PRECISION:-fp32}"
OUT="${KD_MAIN_OUT:-out/main_job}"  # out/ is git-ignored
DATA_DIR="${KD_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
read -r -a SEED_LIST <<<"$SEEDS"
if [[ ${#SEED_LIST[@]} -eq 0 ]]; then
  echo "main_job: KD_MAIN_SEEDS is empty (expected e.g. '1 2 3')" >&2
  exit 2
fi

# The rows; each one's --loss flags are the method's in the shared table
# (KD_METHOD_LOSSES, scripts/lib/experiments.sh), the plain row's are ce's.
ROWS=(plain kd ega ega_kd rkd)

start=$SECONDS
kd_build_tools train
built=$SECONDS

rm -rf "$OUT"  # a fresh experiment each time: the figures below are its own
COMMON=(--dataset=fashion_mnist --data_dir="$DATA_DIR" --eval_subset="$EVAL_IMAGES"
        --batch_size=64 --lr_schedule=cosine --weight_decay=5e-4
        --precision="$PRECISION")
[[ $PRECISION == fp32 ]] || COMMON+=(--channels_last)

echo "== teacher: $TEACHER on $TEACHER_IMAGES images, $TEACHER_EPOCHS epochs"
kd_train "$OUT/teacher" "${COMMON[@]}" --train_subset="$TEACHER_IMAGES" --seed=1 \
  --lr=0.1 --mode=teacher --teacher="$TEACHER" --epochs="$TEACHER_EPOCHS" \
  --eval_every="$TEACHER_EPOCHS"
teacher_done=$SECONDS

for seed in "${SEED_LIST[@]}"; do
  for row in "${ROWS[@]}"; do
    method=$row
    [[ $row == plain ]] && method=ce
    losses="${KD_METHOD_LOSSES[$method]}"
    echo "== seed $seed: $row student ($STUDENT, $losses)"
    if [[ $row == plain ]]; then
      # The CE-only student's exact computation, without a teacher.
      teacher_flags=(--mode=teacher --teacher="$STUDENT")
    else
      teacher_flags=(--mode=sequential --student="$STUDENT" --teacher="$TEACHER"
                     --teacher_checkpoint="$OUT/teacher/checkpoint.pt")
    fi
    # shellcheck disable=SC2086  # the row's losses are several flags
    kd_train "$OUT/${row}_seed$seed" "${COMMON[@]}" --train_subset="$STUDENT_IMAGES" \
      --seed="$seed" --lr=0.05 "${teacher_flags[@]}" $losses \
      --epochs="$STUDENT_EPOCHS" --eval_every="$STUDENT_EPOCHS"
  done
done
done_at=$SECONDS

"$KD_PYTHON" scripts/main_job_table.py "$OUT" "$SEEDS" "${ROWS[*]}" \
  "precision=$PRECISION teacher=$TEACHER teacher_images=$TEACHER_IMAGES teacher_epochs=$TEACHER_EPOCHS student=$STUDENT student_images=$STUDENT_IMAGES student_epochs=$STUDENT_EPOCHS eval_images=$EVAL_IMAGES"
echo "wall time: $((done_at - start)) s ($((built - start)) s setup + build," \
  "$((done_at - built)) s training: teacher $((teacher_done - built)) s," \
  "students $((done_at - teacher_done)) s)"
