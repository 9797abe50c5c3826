#!/usr/bin/env bash
# The protocol of the EGA paper's Table 1 at CPU scale: one teacher, students
# with every method of the comparison on the same schedule, 3 seeds, both
# teacher settings of the paper; a markdown table, the learning-dynamics
# figure (test error per epoch of ce, ce + edge, ce + node and EGA) and a
# t-SNE figure of plain vs EGA student embeddings.
#
#   bash scripts/reproduce.sh              # Fashion-MNIST, ~36 min on 2 cores
#   bash scripts/reproduce.sh --quick      # a few minutes: 1 seed, short runs
#   bash scripts/reproduce.sh --data_dir=data/cifar-100-binary --dataset=cifar100
#   bash scripts/reproduce.sh --methods=ce,kd,ega   # a subset of the rows
#   bash scripts/reproduce.sh --methods=ce,kd,dkd,dist,at,sp,cc,vid  # newer ones
#   bash scripts/reproduce.sh --precision=bf16   # bf16 + channels-last, ~2x faster
#
# Settings (the paper's two): sequential = the teacher and its embedding head
# trained first, then frozen; simultaneous = the teacher backbone frozen, a
# fresh head trained on CE alongside the student (the reference default for
# its CLIP teachers, which come without a head). Every distilled method reads
# the teacher's head (embeddings or logits), so each runs in both; `ce` has
# no teacher and runs once.
#
# Resumable: a killed reproduction continues where it stopped (finished runs
# are kept, a started run resumes from its checkpoint). Outputs in --out
# (default out/reproduce): table.md, dynamics.png, tsne_ce.png,
# tsne_ega.png and one directory per run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/experiments.sh

usage() {
  sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

ALL_METHODS="ce,kd,fitnet,pkt,rkd,nce,irg,crd,ccl,ega,ega_kd,ce_node,ce_edge"
MORE_METHODS="dkd,dkd_ls,kd_ls,dist,at,sp,cc,vid"

DATASET=fashion_mnist
DATA_DIR="${KD_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
METHODS="$ALL_METHODS"
OUT=out/reproduce
QUICK=false
SEEDS="1 2 3"
TEACHER=resnet8 TEACHER_IMAGES=40000 TEACHER_EPOCHS=2
STUDENT=resnet8 STUDENT_IMAGES=1000 EPOCHS=12 EVAL_IMAGES=1000
SETTINGS="sequential simultaneous"
PRECISION=fp32
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=true ;;
    --data_dir=*) DATA_DIR="${arg#*=}" ;;
    --dataset=*) DATASET="${arg#*=}" ;;
    --methods=*) METHODS="${arg#*=}" ;;
    --out=*) OUT="${arg#*=}" ;;
    --seeds=*) SEEDS="${arg#*=}" ;;
    --settings=*) SETTINGS="${arg#*=}" ;;
    --teacher=*) TEACHER="${arg#*=}" ;;
    --student=*) STUDENT="${arg#*=}" ;;
    --epochs=*) EPOCHS="${arg#*=}" ;;
    --student_images=*) STUDENT_IMAGES="${arg#*=}" ;;
    --teacher_images=*) TEACHER_IMAGES="${arg#*=}" ;;
    --teacher_epochs=*) TEACHER_EPOCHS="${arg#*=}" ;;
    --eval_images=*) EVAL_IMAGES="${arg#*=}" ;;
    --precision=*) PRECISION="${arg#*=}" ;;
    -h | --help) usage ;;
    *)
      echo "reproduce: unknown argument '$arg' (known: --quick --data_dir --dataset" \
        "--methods --out --seeds --settings --teacher --student --epochs" \
        "--student_images --teacher_images --teacher_epochs --eval_images --precision)" >&2
      exit 2
      ;;
  esac
done
if $QUICK; then
  SEEDS="1" TEACHER_IMAGES=6000 TEACHER_EPOCHS=1 STUDENT_IMAGES=500 EPOCHS=4
  EVAL_IMAGES=500 OUT="${OUT}_quick"
fi
IFS=, read -r -a METHOD_LIST <<<"$METHODS"
for m in "${METHOD_LIST[@]}"; do
  if [[ -z "${KD_METHOD_LOSSES[$m]+x}" ]]; then
    echo "reproduce: unknown method '$m' (known: $ALL_METHODS,$MORE_METHODS)" >&2
    exit 2
  fi
done
for s in $SETTINGS; do
  [[ $s == sequential || $s == simultaneous ]] || {
    echo "reproduce: unknown setting '$s' (known: sequential simultaneous)" >&2
    exit 2
  }
done
[[ $PRECISION == fp32 || $PRECISION == bf16 ]] || {
  echo "reproduce: unknown precision '$PRECISION' (known: fp32 bf16)" >&2
  exit 2
}
# CRD draws negatives with replacement among the other classes' images.
NCE_K=$((STUDENT_IMAGES < 4096 ? 4096 : 16384))

kd_build_tools train plot_metrics dump_embeddings
COMMON=(--dataset="$DATASET" --data_dir="$DATA_DIR" --batch_size=64
        --lr_schedule=cosine --weight_decay=5e-4 --precision="$PRECISION")
[[ $PRECISION == fp32 ]] || COMMON+=(--channels_last)
# A data set of the paper at full size: its whole training and test splits.
[[ $DATASET == fashion_mnist ]] || TEACHER_IMAGES=0 STUDENT_IMAGES=0 EVAL_IMAGES=0

echo "== teacher: $TEACHER on $TEACHER_IMAGES images, $TEACHER_EPOCHS epochs"
kd_train "$OUT/teacher" "${COMMON[@]}" --train_subset="$TEACHER_IMAGES" \
  --eval_subset="$EVAL_IMAGES" --seed=1 --lr=0.1 --mode=teacher \
  --teacher="$TEACHER" --epochs="$TEACHER_EPOCHS" --eval_every="$TEACHER_EPOCHS"

STUDENT_FLAGS=("${COMMON[@]}" --train_subset="$STUDENT_IMAGES"
               --eval_subset="$EVAL_IMAGES" --lr=0.05 --epochs="$EPOCHS")
for seed in $SEEDS; do
  for m in "${METHOD_LIST[@]}"; do
    losses="${KD_METHOD_LOSSES[$m]//NCE_K/$NCE_K}"
    losses="${losses//DKD_WARMUP/$(((EPOCHS * 20 + 239) / 240))}"
    if [[ $m == ce ]]; then
      echo "== seed $seed: ce"
      kd_train "$OUT/ce/seed$seed" "${STUDENT_FLAGS[@]}" --seed="$seed" \
        --mode=teacher --teacher="$STUDENT" --loss=ce
      continue
    fi
    for setting in $SETTINGS; do
      echo "== seed $seed: $m, $setting"
      # Simultaneous as in the paper: a fresh teacher head (the paper's CLIP
      # teacher has none) trained alongside; sequential: the head trained
      # with the teacher, frozen.
      fresh=()
      [[ $setting == simultaneous ]] && fresh=(--fresh_teacher_head)
      # shellcheck disable=SC2086  # a method's losses are several flags
      kd_train "$OUT/$setting/$m/seed$seed" "${STUDENT_FLAGS[@]}" --seed="$seed" \
        --mode="$setting" --student="$STUDENT" --teacher="$TEACHER" \
        --teacher_checkpoint="$OUT/teacher/checkpoint.pt" "${fresh[@]}" $losses
    done
  done
done

"$KD_PYTHON" scripts/reproduce_table.py "$OUT" "$SEEDS" "$METHODS" "$SETTINGS" \
  "precision=$PRECISION dataset=$DATASET teacher=$TEACHER teacher_images=$TEACHER_IMAGES teacher_epochs=$TEACHER_EPOCHS student=$STUDENT student_images=$STUDENT_IMAGES epochs=$EPOCHS eval_images=$EVAL_IMAGES" \
  | tee "$OUT/table.md"

# The learning dynamics (the paper's figure): test error per epoch, mean
# over the seeds, first setting.
first_setting="${SETTINGS%% *}"
runs=()
for m in ce ce_edge ce_node ega; do
  [[ ",$METHODS," == *",$m,"* ]] || continue
  dir="$OUT/$first_setting/$m"
  [[ $m == ce ]] && dir="$OUT/ce"
  dirs=$(for s in $SEEDS; do printf '%s,' "$dir/seed$s"; done)
  runs+=(--run="${m/_/ + }=${dirs%,}")
done
if [[ ${#runs[@]} -gt 0 ]]; then
  "$KD_BIN/plot_metrics" --column=test_top1 --error --out="$OUT/dynamics.png" \
    --title="test error per epoch ($first_setting, mean of seeds $SEEDS)" "${runs[@]}"
fi

# t-SNE of the student embeddings on a few classes: plain vs EGA, seed 1.
first_seed="${SEEDS%% *}"
TSNE_POINTS=$((EVAL_IMAGES > 0 && EVAL_IMAGES < 800 ? EVAL_IMAGES : 800))
for m in ce ega; do
  [[ ",$METHODS," == *",$m,"* ]] || continue
  dir="$OUT/$first_setting/$m/seed$first_seed"
  [[ $m == ce ]] && dir="$OUT/ce/seed$first_seed"
  [[ -f "$OUT/tsne_$m.png" ]] && continue
  "$KD_BIN/dump_embeddings" --checkpoint="$dir/checkpoint.pt" --dataset="$DATASET" \
    --data_dir="$DATA_DIR" --classes=0,2,4,6 --subset="$TSNE_POINTS" --out_dir="$dir/tsne" \
    --title="$m student embeddings (t-SNE, 4 classes)" >"$dir/tsne.log" 2>&1
  cp "$dir/tsne/tsne.png" "$OUT/tsne_$m.png"
done
echo "(table, dynamics.png and tsne_*.png in $OUT/)"
