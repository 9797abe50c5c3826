#!/usr/bin/env bash
# Data-parallel training through the train binary over loopback
# (scripts/launch_local.sh):
# - 2 processes x batch 32 with gathered graphs and synchronised BatchNorm
#   end 2 steps with the weights of 1 process x batch 64, for ce + ega,
#   ce + kd and ce + crd (relative L2 distance of all weights < 1e-3, float
#   rounding amplified by two SGD steps measured at 1e-4..2e-4); per-rank
#   graphs and per-rank BatchNorm are further away than that (controls);
# - every rank holds the same weights and CRD banks after each epoch (the
#   run's own check, an error otherwise);
# - a rank killed mid-run makes the other exit non-zero within the timeout
#   with one line naming its rank; --resume then finishes the run, equal to
#   an unbroken one; --resume with another world size continues;
# - ranks started with different settings, or a rendezvous nobody hosts,
#   are one-line errors.
set -uo pipefail
BIN="${TEST_SRCDIR}/${TEST_WORKSPACE}/tools"
LAUNCH="${TEST_SRCDIR}/${TEST_WORKSPACE}/scripts/launch_local.sh"
TMP="${TEST_TMPDIR:-/tmp}/ddp"
rm -rf "$TMP"; mkdir -p "$TMP"
FMNIST="${KD_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}"
PY=/usr/bin/python3
fail() { echo "FAIL: $*"; exit 1; }

COMMON=(--dataset=fashion_mnist --data_dir="$FMNIST" --train_subset=256
        --eval_subset=100 --loader_workers=1 --threads=1 --seed=3
        --progress=false --dist_timeout_s=20)
"$BIN/train" "${COMMON[@]}" --mode=teacher --teacher=resnet8 --epochs=1 \
  --max_steps_per_epoch=4 --batch_size=64 --out_dir="$TMP/teacher" \
  >"$TMP/teacher.log" 2>&1 || { cat "$TMP/teacher.log"; fail "teacher run"; }
STUDENT=("${COMMON[@]}" --mode=sequential --teacher=resnet8 --student=resnet8
         --teacher_checkpoint="$TMP/teacher/checkpoint.pt")

# Relative L2 distance between two runs' student_final.pt.
distance() {
  "$PY" - "$1/student_final.pt" "$2/student_final.pt" <<'PYEOF'
import sys, torch
a, b = (torch.load(p) for p in sys.argv[1:])
assert a.keys() == b.keys()
num = sum(((a[k] - b[k]).double() ** 2).sum() for k in a if a[k].is_floating_point())
den = sum((a[k].double() ** 2).sum() for k in a if a[k].is_floating_point())
print(f"{float((num / den) ** 0.5):.3g}")
PYEOF
}
below() { "$PY" -c "import sys; sys.exit(0 if float('$1') < float('$2') else 1)"; }

STEPS=(--epochs=1 --max_steps_per_epoch=2 --lr_schedule=constant)
for loss in ega kd crd; do
  run=("${STUDENT[@]}" "${STEPS[@]}" --loss=ce --loss=$loss)
  "$BIN/train" "${run[@]}" --batch_size=64 --out_dir="$TMP/$loss.1x64" \
    >"$TMP/$loss.1x64.log" 2>&1 || { cat "$TMP/$loss.1x64.log"; fail "$loss 1 x 64"; }
  bash "$LAUNCH" 2 "$BIN/train" "${run[@]}" --batch_size=32 --sync_bn \
    --out_dir="$TMP/$loss.2x32" >"$TMP/$loss.2x32.log" 2>&1 ||
    { cat "$TMP/$loss.2x32.log"; fail "$loss 2 x 32"; }
  d=$(distance "$TMP/$loss.1x64" "$TMP/$loss.2x32") || fail "compare $loss"
  echo "ce + $loss: 2 x 32 vs 1 x 64: relative L2 $d"
  below "$d" 1e-3 || fail "ce + $loss: 2 x 32 is $d from 1 x 64"
done
grep -q "\[rank 1\]" "$TMP/ega.2x32.log" || fail "launcher did not prefix rank 1"
[[ $(grep -c "^student: 1/1 epochs" "$TMP/ega.2x32.log") -eq 1 ]] ||
  fail "the summary line should come from rank 0 only"
for control in "--dist_graph=local" "--sync_bn=false"; do
  bash "$LAUNCH" 2 "$BIN/train" "${STUDENT[@]}" "${STEPS[@]}" --loss=ce --loss=ega \
    --batch_size=32 --sync_bn $control --out_dir="$TMP/control" \
    >"$TMP/control.log" 2>&1 || { cat "$TMP/control.log"; fail "control $control"; }
  d=$(distance "$TMP/ega.1x64" "$TMP/control")
  echo "control $control: relative L2 $d"
  below 3e-3 "$d" || fail "$control is only $d from 1 x 64: the test cannot tell"
  rm -rf "$TMP/control"
done

# Kill rank 1 once the first checkpoint exists; rank 0 must fail quickly.
LONG=("${STUDENT[@]}" --loss=ce --loss=crd --epochs=4 --batch_size=32
      --lr_milestones=2)
start_rank() {  # rank out_dir port log [flags...]
  local rank=$1 out=$2 port=$3 log=$4; shift 4
  RANK=$rank WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
    "$BIN/train" "${LONG[@]}" --out_dir="$out" "$@" >"$log" 2>&1 &
}
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_rank 0 "$TMP/killed" "$port" "$TMP/killed0.log"; pid0=$!
start_rank 1 "$TMP/killed" "$port" "$TMP/killed1.log"; pid1=$!
for _ in $(seq 1 600); do
  [[ -e "$TMP/killed/checkpoint.pt" ]] && break
  sleep 0.05
done
kill -9 $pid1
t0=$(date +%s)
wait $pid0; code=$?
t1=$(date +%s)
wait $pid1 2>/dev/null
echo "rank 0 exited with $code $((t1 - t0)) s after rank 1 was killed"
[[ $code -ne 0 ]] || { cat "$TMP/killed0.log"; fail "rank 0 finished although rank 1 died"; }
((t1 - t0 <= 25)) || fail "rank 0 took $((t1 - t0)) s to notice"
grep -q "rank 0 of 2: .* failed: .*(a peer process exited, was killed or did not answer within 20 s)" \
  "$TMP/killed0.log" || { cat "$TMP/killed0.log"; fail "rank 0's message"; }
[[ -s "$TMP/killed/checkpoint.pt" ]] || fail "no checkpoint after the kill"
bash "$LAUNCH" 2 "$BIN/train" "${LONG[@]}" --out_dir="$TMP/killed" --resume \
  >"$TMP/resumed.log" 2>&1 || { cat "$TMP/resumed.log"; fail "resumed run"; }
grep -q "resuming" "$TMP/resumed.log" || fail "the run did not resume"
bash "$LAUNCH" 2 "$BIN/train" "${LONG[@]}" --out_dir="$TMP/unbroken" \
  >"$TMP/unbroken.log" 2>&1 || { cat "$TMP/unbroken.log"; fail "unbroken run"; }
"$PY" - "$TMP/unbroken" "$TMP/killed" <<'PYEOF' || fail "resumed run differs from the unbroken one"
import sys, torch
a, b = sys.argv[1:]
for name in ["checkpoint.pt", "student_final.pt"]:
    ta, tb = torch.load(f"{a}/{name}"), torch.load(f"{b}/{name}")
    bad = [k for k in ta if not torch.equal(ta[k], tb[k])]
    assert not bad, f"{name}: {bad[:5]}"
print("resumed 2-process run == unbroken one")
PYEOF

# Another world size on --resume: 2 processes for 1 epoch, then 1 process.
"$BIN/train" "${LONG[@]}" --epochs=2 --out_dir="$TMP/resize" --stop_after_epochs=1 \
  --world_size=1 >"$TMP/resize1.log" 2>&1 || { cat "$TMP/resize1.log"; fail "resize: first epoch"; }
bash "$LAUNCH" 2 "$BIN/train" "${LONG[@]}" --epochs=2 --out_dir="$TMP/resize" --resume \
  >"$TMP/resize2.log" 2>&1 || { cat "$TMP/resize2.log"; fail "resize: resumed with 2"; }
grep -q "^student: 2/2 epochs" "$TMP/resize2.log" || fail "resize: not finished"

# Ranks with different settings: both exit non-zero, rank 1 says why.
port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_rank 0 "$TMP/mismatch" "$port" "$TMP/mismatch0.log"; pid0=$!
start_rank 1 "$TMP/mismatch" "$port" "$TMP/mismatch1.log" --lr=0.1; pid1=$!
wait $pid1; code1=$?
wait $pid0; code0=$?
[[ $code0 -ne 0 && $code1 -ne 0 ]] || fail "mismatched settings: exit codes $code0 $code1"
grep -q "rank 1: its settings differ from rank 0's" "$TMP/mismatch1.log" ||
  { cat "$TMP/mismatch1.log"; fail "mismatch message"; }

# Nobody hosts the rendezvous: one line, exit 2.
"$BIN/train" "${LONG[@]}" --out_dir="$TMP/alone" --world_size=2 --rank=1 \
  --master_port="$port" --dist_timeout_s=2 >"$TMP/alone.log" 2>&1 && fail "alone succeeded"
[[ $? -eq 2 && $(wc -l <"$TMP/alone.log") -eq 1 ]] &&
  grep -q "rank 1: cannot reach the rendezvous at 127.0.0.1:$port" "$TMP/alone.log" ||
  { cat "$TMP/alone.log"; fail "unreachable rendezvous: not one line, exit 2"; }
echo "PASS"
