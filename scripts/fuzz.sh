#!/usr/bin/env bash
# Builds the libFuzzer targets (//tests/data:<target>_libfuzzer) with clang-14
# and runs each for a bounded time on its committed seed corpus
# (tests/data/fuzz/corpus/<target>) and regression inputs
# (tests/data/fuzz/regressions/<target>), with tests/data/fuzz/dict/<target>.dict
# where there is one.
#
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET [TARGET...]]   (default 30, all)
#
# A crash, leak, timeout (10 s per input) or out-of-memory (2 GiB RSS, or one
# allocation over 2 GiB) fails the target and leaves the input under
# out/fuzz/<target>/ (crash-*, leak-*, timeout-*, oom-*), printed in the log.
# Inputs that reached new coverage go to out/fuzz/<target>/corpus (not
# committed). Prints one "PASS|FAIL <target> ..." line per target and writes
# the tally "<passed> <failed>" to out/fuzz/summary; exits 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${1:-30}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(cifar stl idx jpeg png)
OUT=out/fuzz
mkdir -p "$OUT"
echo "0 ${#TARGETS[@]}" >"$OUT/summary"  # until the runs say otherwise

# The clang build gets an output base of its own (next to the g++ one), so
# that neither build's toolchain, analysis cache or outputs disturb the
# other's. No convenience symlinks: bazel-bin etc. stay the g++ build's.
MAIN_BASE="$(bazel info output_base 2>/dev/null)" || {
  echo "fuzz: bazel info failed"
  exit 1
}
BAZEL=(bazel "--output_base=${MAIN_BASE}_libfuzzer")
FLAGS=(--config=libfuzzer --symlink_prefix=/)
LABELS=()
for t in "${TARGETS[@]}"; do LABELS+=("//tests/data:${t}_libfuzzer"); done
echo "fuzz: building ${LABELS[*]} (clang-14, --config=libfuzzer)"
if ! "${BAZEL[@]}" build "${FLAGS[@]}" "${LABELS[@]}"; then
  echo "fuzz: build failed"
  exit 1
fi
BIN="$("${BAZEL[@]}" info "${FLAGS[@]}" bazel-bin 2>/dev/null)/tests/data"
# The clang server is not needed any more: give its memory back.
"${BAZEL[@]}" shutdown 2>/dev/null

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
SYMBOLIZER="$(command -v llvm-symbolizer-14 || true)"
[ -n "$SYMBOLIZER" ] && export ASAN_SYMBOLIZER_PATH="$SYMBOLIZER"

passed=0
failed=0
for t in "${TARGETS[@]}"; do
  dir="$OUT/$t"
  mkdir -p "$dir/corpus"
  rm -f "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* \
    "$dir"/slow-unit-*
  corpora=("$dir/corpus" "tests/data/fuzz/corpus/$t")
  [ -d "tests/data/fuzz/regressions/$t" ] &&
    corpora+=("tests/data/fuzz/regressions/$t")
  dict=()
  [ -f "tests/data/fuzz/dict/$t.dict" ] &&
    dict=(-dict="tests/data/fuzz/dict/$t.dict")
  echo "fuzz: $t for ${SECONDS_PER_TARGET}s (log: $dir/fuzz.log)"
  start=$(date +%s)
  # timeout: a backstop in case libFuzzer itself stops responding.
  timeout --kill-after=30 $((SECONDS_PER_TARGET + 120)) \
    "$BIN/${t}_libfuzzer" -max_total_time="$SECONDS_PER_TARGET" \
      -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 \
      -keep_seed=1 -print_final_stats=1 -artifact_prefix="$dir/" "${dict[@]}" \
      "${corpora[@]}" >"$dir/fuzz.log" 2>&1
  rc=$?
  secs=$(($(date +%s) - start))
  # The last status line: "#<runs> DONE cov: <n> ft: <n> corp: ..."
  status_line="$(grep -E '^#[0-9]+' "$dir/fuzz.log" | tail -1)"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz.log")"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/fuzz.log")"
  rss="$(sed -n 's/^stat::peak_rss_mb: *//p' "$dir/fuzz.log")"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status_line")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status_line")"
  artifacts="$(ls "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* \
    "$dir"/oom-* 2>/dev/null | tr '\n' ' ')"
  summary="$t: ${execs:-?} runs in ${secs}s (${rate:-?}/s), cov ${cov:-?} ft ${ft:-?}, peak ${rss:-?} MB"
  if [ $rc -eq 0 ] && [ -z "$artifacts" ]; then
    echo "PASS $summary"
    passed=$((passed + 1))
  else
    echo "FAIL $summary (exit $rc)"
    # The finding: libFuzzer's and the sanitizer's report.
    grep -E -A40 '^==[0-9]+==|ERROR: libFuzzer|runtime error|Check failed' \
      "$dir/fuzz.log" | head -60
    echo "FAIL $t: reproducer: ${artifacts:-none written} (replay:" \
      "$BIN/${t}_libfuzzer FILE, or bazel-bin/tests/data/${t}_fuzzer FILE)"
    failed=$((failed + 1))
  fi
done
echo "$passed $failed" >"$OUT/summary"
echo "fuzz: $passed of ${#TARGETS[@]} targets passed (${SECONDS}s with the build)"
[ $failed -eq 0 ]
