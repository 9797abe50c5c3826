#!/usr/bin/env bash
# The measurements behind docs/ega_study.md: why EGA trails cross-entropy on
# a 10-class problem at the main job's scale while KD gains.
#
#   bash scripts/ega_study.sh    # about 30 minutes on 2 cores; resumable
#
# The main job's setting (scripts/main_job.sh): a resnet8 teacher trained on
# 20,000 Fashion-MNIST images, resnet8 students on 1,000 of them for 12
# epochs, evaluated on 1,000 test images after every epoch. Every student
# logs the norm of each loss term's gradient at its node embedding
# (--grad_norms). Variants (seeds 1-3 unless noted):
#   ce, ega (node 0.8, edge 0.24), node (edge 0), edge (node 0),
#   ega with node_target=masked, labels and teacher (legends: "EGA labels",
#   "EGA teacher"; "sim." = simultaneous);
#   seed 1 only: weights / 10, edge only x 10, batch 32 and 128 (ce and
#   ega), simultaneous with a fresh or the trained teacher head, sequential
#   with a fresh head (trained first), simultaneous fresh head with masked.
# Then the node term's floor: ||E_t - I||_F of the teacher's own embeddings
# over batches of the training images, and the share of same-class pairs.
# Outputs in out/ega_study: table.md, floor.txt, *.png, one directory per run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/experiments.sh

OUT="${KD_STUDY_OUT:-out/ega_study}"
DATA_DIR="${KD_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
EPOCHS=12
kd_build_tools train plot_metrics dump_embeddings

COMMON=(--dataset=fashion_mnist --data_dir="$DATA_DIR" --eval_subset=1000
        --lr_schedule=cosine --weight_decay=5e-4)
echo "== teacher (as in the main job)"
kd_train "$OUT/teacher" "${COMMON[@]}" --train_subset=20000 --seed=1 --lr=0.1 \
  --batch_size=64 --mode=teacher --teacher=resnet8 --epochs=2 --eval_every=2
TEACHER=(--student=resnet8 --teacher=resnet8
         --teacher_checkpoint="$OUT/teacher/checkpoint.pt")
STUDENT=("${COMMON[@]}" --train_subset=1000 --lr=0.05 --epochs="$EPOCHS"
         --grad_norms)

# run NAME SEEDS BATCH FLAGS...: one variant over the seeds.
run() {
  local name=$1 seeds=$2 batch=$3
  shift 3
  for seed in $seeds; do
    echo "== $name, seed $seed"
    kd_train "$OUT/$name/seed$seed" "${STUDENT[@]}" --batch_size="$batch" \
      --seed="$seed" "$@"
  done
}
CE=(--mode=teacher --teacher=resnet8 --loss=ce)
SEQ=(--mode=sequential "${TEACHER[@]}" --loss=ce)
SIM=(--mode=simultaneous "${TEACHER[@]}" --loss=ce)
run ce "1 2 3" 64 "${CE[@]}"
run ega "1 2 3" 64 "${SEQ[@]}" --loss=ega:node=0.8,edge=0.24
run node "1 2 3" 64 "${SEQ[@]}" --loss=ega:node=0.8,edge=0
run edge "1 2 3" 64 "${SEQ[@]}" --loss=ega:node=0,edge=0.24
run masked "1 2 3" 64 "${SEQ[@]}" --loss=ega:node=0.8,edge=0.24,node_target=masked
run labels "1 2 3" 64 "${SEQ[@]}" --loss=ega:node=0.8,edge=0.24,node_target=labels
run teacher_target "1 2 3" 64 "${SEQ[@]}" --loss=ega:node=0.8,edge=0.24,node_target=teacher
run ega_w_div10 1 64 "${SEQ[@]}" --loss=ega:node=0.08,edge=0.024
run edge_x10 1 64 "${SEQ[@]}" --loss=ega:node=0,edge=2.4
run ce_b32 1 32 "${CE[@]}"
run ega_b32 1 32 "${SEQ[@]}" --loss=ega:node=0.8,edge=0.24
run ce_b128 1 128 "${CE[@]}"
run ega_b128 1 128 "${SEQ[@]}" --loss=ega:node=0.8,edge=0.24
run sim_fresh 1 64 "${SIM[@]}" --fresh_teacher_head --loss=ega:node=0.8,edge=0.24
run sim_trained 1 64 "${SIM[@]}" --loss=ega:node=0.8,edge=0.24
run seq_fresh 1 64 "${SEQ[@]}" --fresh_teacher_head --teacher_head_epochs=4 \
  --loss=ega:node=0.8,edge=0.24
run sim_fresh_masked 1 64 "${SIM[@]}" --fresh_teacher_head \
  --loss=ega:node=0.8,edge=0.24,node_target=masked

# The teacher's own embeddings of the students' training images, for the
# node term's floor.
if [[ ! -f "$OUT/teacher_embeddings/vectors.tsv" ]]; then
  "$KD_BIN/dump_embeddings" --checkpoint="$OUT/teacher/checkpoint.pt" \
    --dataset=fashion_mnist --data_dir="$DATA_DIR" --split=train --subset=1000 \
    --tsne=false --out_dir="$OUT/teacher_embeddings" >"$OUT/teacher_embeddings.log" 2>&1
fi

"$KD_PYTHON" scripts/ega_study_report.py "$OUT"

# Figures: test error, node term, gradient norms.
plot() {  # plot FILE COLUMN TITLE [--error] RUN...
  local file=$1 column=$2 title=$3
  shift 3
  "$KD_BIN/plot_metrics" --out="$OUT/$file" --column="$column" --title="$title" "$@"
}
dirs() { local d=$OUT/$1; echo "$d/seed1,$d/seed2,$d/seed3"; }
plot dynamics.png test_top1 "test error per epoch (mean of 3 seeds)" --error \
  --run="ce=$(dirs ce)" --run="ce + node=$(dirs node)" \
  --run="ce + edge=$(dirs edge)" --run="EGA=$(dirs ega)" \
  --run="EGA labels=$(dirs labels)" \
  --run="EGA teacher=$(dirs teacher_target)"
plot node_term.png train_ega/node "node term ||N - I||_F (mean over the epoch)" \
  --run="ce + node=$(dirs node)" --run="EGA=$(dirs ega)" \
  --run="EGA sim. fresh=$OUT/sim_fresh/seed1" \
  --run="EGA teacher=$(dirs teacher_target)"
plot grad_norms.png "train_grad/ega/node" \
  "gradient norm at the student embedding: node term (unweighted)" \
  --run="EGA=$(dirs ega)" --run="EGA sim. fresh=$OUT/sim_fresh/seed1"
plot grad_ce.png "train_grad/ce" "gradient norm at the student embedding: CE" \
  --run="ce=$(dirs ce)" --run="EGA=$(dirs ega)" \
  --run="EGA sim. fresh=$OUT/sim_fresh/seed1"
plot train_error.png train_top1 "training error per epoch" --error \
  --run="ce=$(dirs ce)" --run="EGA=$(dirs ega)" \
  --run="EGA sim. fresh=$OUT/sim_fresh/seed1" \
  --run="EGA sim. trained=$OUT/sim_trained/seed1" \
  --run="EGA seq. fresh=$OUT/seq_fresh/seed1"
echo "(table.md, floor.txt and the figures in $OUT/)"
