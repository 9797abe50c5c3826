#!/usr/bin/env bash
# Bad input to tools/train, tools/evaluate and tools/dump_embeddings: exit
# code 2 and exactly one clear line on stderr, before any training starts.
set -uo pipefail
BIN="${TEST_SRCDIR}/${TEST_WORKSPACE}/tools"
TMP="${TEST_TMPDIR:-/tmp}/cli"
mkdir -p "$TMP"
FMNIST="${KD_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
failures=0

# expect_bad <expected substring> <binary> <args...>: exit 2, one stderr line.
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/tools/expect_bad.sh" ||
  { echo "FAIL: cannot load expect_bad.sh"; exit 1; }

T=(--teacher=resnet8 --mode=teacher --out_dir="$TMP/run" --data_dir="$FMNIST")
expect_bad "unknown flag --no_such_flag" train --no_such_flag=1
expect_bad "unknown flag --epoch (did you mean --epochs?)" train --epoch=3
expect_bad "bad value 'abc' for --epochs" train --epochs=abc
expect_bad "unexpected argument 'stray'" train stray
expect_bad "--mode: unknown mode 'both'" train --mode=both
expect_bad "--epochs: expected >= 1, got 0" train "${T[@]}" --epochs=0
expect_bad "--batch_size: expected >= 1, got -4" train "${T[@]}" --batch_size=-4
expect_bad "--lr: expected a finite value > 0" train "${T[@]}" --lr=0
expect_bad "--lr_schedule: unknown schedule 'linear'" train "${T[@]}" --lr_schedule=linear
expect_bad "--out_dir" train --teacher=resnet8 --mode=teacher
expect_bad "unknown loss 'nosuchloss'" train "${T[@]}" --loss=ce --loss=nosuchloss
expect_bad "nodee" train "${T[@]}" --loss='ce;ega:nodee=1'
expect_bad "unknown backbone 'resnet9'" train "${T[@]/--teacher=resnet8/--teacher=resnet9}"
expect_bad "unknown dataset 'cifar1000'" train "${T[@]}" --dataset=cifar1000
expect_bad "$TMP/no_such_dir" train "${T[@]}" --data_dir="$TMP/no_such_dir"
expect_bad "--teacher_checkpoint: no such file: $TMP/none.pt" train \
  --mode=simultaneous --teacher=resnet8 --student=resnet8 \
  --teacher_checkpoint="$TMP/none.pt" --out_dir="$TMP/run" --data_dir="$FMNIST"
# Damaged checkpoints: one line naming the file, no libtorch stack trace.
/usr/bin/python3 -c "import torch; torch.save({'w': torch.zeros(4096)}, '$TMP/full.pt')"
head -c 700 "$TMP/full.pt" >"$TMP/truncated.pt"
echo "not a checkpoint" >"$TMP/garbage.pt"
expect_bad "$TMP/truncated.pt" evaluate --checkpoint="$TMP/truncated.pt"
expect_bad "$TMP/garbage.pt" evaluate --checkpoint="$TMP/garbage.pt"
expect_bad "$TMP/truncated.pt" train --mode=simultaneous --teacher=resnet8 \
  --student=resnet8 --teacher_checkpoint="$TMP/truncated.pt" \
  --out_dir="$TMP/run" --data_dir="$FMNIST" --train_subset=20 --eval_subset=20
expect_bad "$TMP/truncated.pt" build_teacher_cache --teacher=resnet8 \
  --teacher_checkpoint="$TMP/truncated.pt" --out="$TMP/c.cache" \
  --data_dir="$FMNIST" --train_subset=20
expect_bad "--device" train "${T[@]}" --device=tpu
expect_bad "--checkpoint: required" evaluate
expect_bad "checkpoint $TMP/none.pt: no such file" evaluate --checkpoint="$TMP/none.pt"
expect_bad "unknown flag --knn_kk" evaluate --knn_kk=3
expect_bad "--tsne_method" dump_embeddings --checkpoint=x --out_dir="$TMP/d" --tsne_method=fast
expect_bad "--out_dir: required" dump_embeddings --checkpoint=x

# --help exits 0 and lists flags and plugins.
if "$BIN/train" --help >"$TMP/help" 2>&1 && grep -q -- "--teacher_checkpoint" "$TMP/help" &&
   grep -q "resnet8" "$TMP/help" && grep -q "fashion_mnist" "$TMP/help" &&
   grep -q "ega" "$TMP/help"; then
  echo "ok: train --help"
else
  echo "FAIL: train --help"; head -50 "$TMP/help"; failures=$((failures + 1))
fi

# Nothing was trained: the output directory holds no checkpoint.
if [[ -e "$TMP/run/checkpoint.pt" ]]; then
  echo "FAIL: a bad-input run wrote a checkpoint"; failures=$((failures + 1))
fi
echo "$failures failure(s)"
[[ $failures -eq 0 ]]
