# The checks of a scripts/test.sh step that runs outside `bazel test`
# (downstream_test.sh, libtorch_layout_test.sh, gen_cmake_test.sh): each
# check's output goes to its log under $OUT, a failure prints the log's
# tail, and checks_end writes "passed failed" to $OUT/summary for
# scripts/test.sh's count.
#
#   source scripts/lib/checks.sh
#   checks_begin downstream "$ROOT/out/downstream"
#   check build bazel build //:train
#   checks_end    # exit status: 0 when every check passed

checks_begin() {  # checks_begin <step name> <output directory>
  CHECKS_STEP=$1
  OUT=$2
  mkdir -p "$OUT"
  passed=0 failed=0
}

check() {  # check <name> <command...>
  local name=$1; shift
  if "$@" >"$OUT/$name.log" 2>&1; then
    echo "ok: $CHECKS_STEP $name"; passed=$((passed + 1))
  else
    echo "FAIL: $CHECKS_STEP $name (log: ${OUT#"$ROOT/"}/$name.log)"
    # Also what the command left in <name>*.txt files, if anything.
    tail -20 "$OUT/$name.log" "$OUT/$name"*.txt 2>/dev/null
    failed=$((failed + 1))
  fi
}

checks_end() {
  echo "$passed $failed" >"$OUT/summary"
  echo "$CHECKS_STEP: $passed passed, $failed failed"
  [[ $failed -eq 0 ]]
}
