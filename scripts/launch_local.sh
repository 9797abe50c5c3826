#!/usr/bin/env bash
# Starts a data-parallel run of N processes on this machine, as torchrun
# --standalone --nproc_per_node=N would: every process gets RANK, WORLD_SIZE,
# LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1 and a free MASTER_PORT
# in its environment, and the same command line.
#
#   bash scripts/launch_local.sh 2 bazel-bin/tools/train --loss=ce \
#     --loss=ega --batch_size=32 --out_dir=out/ddp ...
#
# Rank 0's output is passed through as is; rank r's lines get a "[rank r] "
# prefix. Exits with the first non-zero exit code among the ranks (a rank
# that fails makes the others fail within --dist_timeout_s), else 0.
# Several machines: start the program on each with torchrun's variables
# set by hand or by the scheduler (docs/distributed.md).
set -uo pipefail
if [[ $# -lt 2 || ! "$1" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 N PROGRAM [ARGS...]  (N processes of PROGRAM)" >&2
  exit 2
fi
n=$1
shift
port=${MASTER_PORT:-$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}

pids=()
for ((rank = 0; rank < n; rank++)); do
  export RANK=$rank WORLD_SIZE=$n LOCAL_RANK=$rank LOCAL_WORLD_SIZE=$n \
    MASTER_ADDR=127.0.0.1 MASTER_PORT=$port
  if ((rank == 0)); then
    "$@" &
  else
    "$@" > >(sed -u "s/^/[rank $rank] /") 2> >(sed -u "s/^/[rank $rank] /" >&2) &
  fi
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do
  wait "$pid"
  code=$?
  if ((code != 0 && status == 0)); then status=$code; fi
done
exit $status
