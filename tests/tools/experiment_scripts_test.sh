#!/usr/bin/env bash
# The experiment scripts end to end at toy size, with this build's binaries
# (KD_BIN, KD_BUILD=0): scripts/reproduce.sh (table, dynamics and t-SNE
# figures; a second call resumes and reruns nothing; bad arguments are
# exit 2) and scripts/main_job.sh (its table and verdict lines).
set -uo pipefail
ROOT="${TEST_SRCDIR}/${TEST_WORKSPACE}"
export KD_BIN="$ROOT/tools" KD_BUILD=0
TMP="${TEST_TMPDIR:-/tmp}/scripts"
rm -rf "$TMP"; mkdir -p "$TMP"
fail() { echo "FAIL: $*"; exit 1; }

# The scripts cd to the repository root: give them a copy of scripts/.
mkdir -p "$TMP/repo"
cp -rL "$ROOT/scripts" "$TMP/repo/scripts"
cd "$TMP/repo"

TINY=(--methods=ce,kd,ega,ce_node,ce_edge,dkd --seeds=1 --settings=sequential
      --teacher_images=128 --teacher_epochs=1 --student_images=64 --epochs=2
      --eval_images=40 --out="$TMP/reproduce")
bash scripts/reproduce.sh "${TINY[@]}" >"$TMP/reproduce.log" 2>&1 ||
  { cat "$TMP/reproduce.log"; fail "reproduce.sh"; }
for f in table.md dynamics.png tsne_ce.png tsne_ega.png; do
  [[ -s "$TMP/reproduce/$f" ]] || { cat "$TMP/reproduce.log"; fail "reproduce wrote no $f"; }
done
for row in "CE (no teacher)" "KD" "EGA" "CE + node (ablation)" "CE + edge (ablation)" "DKD"; do
  grep -q "^| $row |" "$TMP/reproduce/table.md" || { cat "$TMP/reproduce/table.md"; fail "no row '$row'"; }
done
# Resumed: every run (the teacher and 6 students) is found finished.
bash scripts/reproduce.sh "${TINY[@]}" >"$TMP/again.log" 2>&1 || { cat "$TMP/again.log"; fail "second call"; }
[[ $(grep -c "(finished before)" "$TMP/again.log") -eq 7 ]] ||
  { cat "$TMP/again.log"; fail "second call retrained runs"; }
# A started run (checkpoint, no summary) continues with --resume.
rm "$TMP/reproduce/sequential/kd/seed1/summary.json"
bash scripts/reproduce.sh "${TINY[@]}" >"$TMP/resume.log" 2>&1 || { cat "$TMP/resume.log"; fail "resume call"; }
grep -q "resum" "$TMP/reproduce/sequential/kd/seed1.log" ||
  { cat "$TMP/reproduce/sequential/kd/seed1.log"; fail "the started run did not resume"; }

bash scripts/reproduce.sh --methods=ce,nosuch >"$TMP/bad.log" 2>&1
[[ $? -eq 2 ]] || fail "unknown method: expected exit 2"
grep -q "unknown method 'nosuch' (known: ce,kd," "$TMP/bad.log" || { cat "$TMP/bad.log"; fail "unknown method message"; }
bash scripts/reproduce.sh --nosuch >"$TMP/bad.log" 2>&1
[[ $? -eq 2 ]] || fail "unknown argument: expected exit 2"
bash scripts/reproduce.sh --precision=fp8 >"$TMP/bad.log" 2>&1
[[ $? -eq 2 ]] || fail "unknown precision: expected exit 2"
grep -q "unknown precision 'fp8' (known: fp32 bf16)" "$TMP/bad.log" ||
  { cat "$TMP/bad.log"; fail "unknown precision message"; }

KD_MAIN_TEACHER_IMAGES=128 KD_MAIN_TEACHER_EPOCHS=1 KD_MAIN_STUDENT_IMAGES=64 \
  KD_MAIN_STUDENT_EPOCHS=1 KD_MAIN_EVAL_IMAGES=40 KD_MAIN_SEEDS="1 2" \
  KD_MAIN_PRECISION=bf16 \
  KD_MAIN_OUT="$TMP/main" bash scripts/main_job.sh >"$TMP/main.log" 2>&1 ||
  { cat "$TMP/main.log"; fail "main_job.sh"; }
for text in "| plain (CE) |" "| KD (0.1 CE + 0.9 KD, T=4) |" "| EGA + KD |" "| RKD (CE + rkd 25/50) |" \
            "Paired differences" "wall time:" "in bf16 autocast"; do
  grep -qF "$text" "$TMP/main.log" || { cat "$TMP/main.log"; fail "main job printed no '$text'"; }
done
echo PASS
