#!/usr/bin/env bash
# Builds tests/downstream, a workspace of its own that uses this repository
# through local_repository as a user's project would (README, "Adding a
# plugin from outside this repository"), and checks its train binary:
# --help lists the downstream loss, and a one-epoch run with it works.
# A step of scripts/test.sh (a Bazel build inside a Bazel test would need a
# second server inside the sandbox); it writes "passed failed" to
# out/downstream/summary and exits 1 on a failure.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/scripts/lib/checks.sh" || exit 1
checks_begin downstream "$ROOT/out/downstream"
FMNIST="${KD_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"

cd "$ROOT/tests/downstream" || exit 1
check build bazel build //:train
BIN="$(bazel info bazel-bin 2>/dev/null)/train"
check help_lists_embed_norm bash -c \
  "'$BIN' --help | grep -q 'embed_norm' && '$BIN' --help | grep -q 'dkd'"
rm -rf "$OUT/run"
check one_epoch_run bash -c "'$BIN' --mode=teacher --teacher=resnet8 \
  --dataset=fashion_mnist --data_dir='$FMNIST' --train_subset=96 \
  --eval_subset=40 --batch_size=32 --epochs=1 --lr_milestones=1 --threads=2 \
  --loss=ce --loss=embed_norm:scale=0.01 --out_dir='$OUT/run' &&
  grep -q embed_norm '$OUT/run/metrics.csv' '$OUT/run/metrics.jsonl'"
checks_end
