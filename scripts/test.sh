#!/usr/bin/env bash
# Installs the dependencies, builds everything and runs the whole test suite:
# the Bazel tests, then 30 s of libFuzzer per parser (scripts/fuzz.sh), the
# downstream workspace (scripts/downstream_test.sh), a build against another
# libtorch layout (tests/tools/libtorch_layout_test.sh) and the generated
# CMake build (tests/tools/gen_cmake_test.sh).
# Ends with one line "N passed, N failed": the gtest cases plus one entry per
# fuzz target and per check of the three scripts.
set -uo pipefail
cd "$(dirname "$0")/.."

# Each phase's wall time, printed as it ends ("time: <phase> <s> s"), so a
# slow CI run shows where its minutes went.
timed() {  # timed <phase> <command...>
  local phase=$1 start=$SECONDS status
  shift
  "$@"
  status=$?
  echo "time: $phase $((SECONDS - start)) s"
  return $status
}

timed setup bash scripts/setup.sh || exit 1

timed build bazel build //... || { echo "0 passed, 1 failed"; exit 1; }
# --nocache_test_results: CI must run every test, not replay cached results.
timed test bazel test --nocache_test_results //...
rc=$?

# The steps outside `bazel test`: each writes "passed failed" to a summary
# file; one that could not say counts as one failure.
steps_passed=0 steps_failed=0
run_step() {  # run_step <summary file> <command...>
  local summary=$1 p=0 f=1
  shift
  rm -f "$summary"
  timed "$(basename "$(dirname "$summary")")" "$@" || rc=1
  [[ -r $summary ]] && read -r p f <"$summary"
  steps_passed=$((steps_passed + p))
  steps_failed=$((steps_failed + f))
}

# Coverage-guided fuzzing; findings are left under out/fuzz/<target>/.
run_step out/fuzz/summary bash scripts/fuzz.sh 30

# A downstream workspace (tests/downstream) linking the trainer with a loss
# plugin of its own: its build, --help and a one-epoch run.
run_step out/downstream/summary bash scripts/downstream_test.sh

# @libtorch with --repo_env=KD_LIBTORCH: a libtorch-zip layout made of
# Debian's files, a stand-in libtorch_cuda.so, a wrong directory.
run_step out/libtorch_layout/summary bash tests/tools/libtorch_layout_test.sh

# The CMake build generated from the Bazel graph (scripts/gen_cmake.py):
# covers every source, configures and builds against Debian's libtorch.
run_step out/gen_cmake_test/summary bash tests/tools/gen_cmake_test.sh

# Count test cases of this run's targets (bazel-testlogs keeps stale XML),
# plus the fuzz targets and the checks of the scripts above.
bazel query 'tests(//...) except attr(tags, "manual", //...)' 2>/dev/null |
  python3 tools/test_summary.py |
  awk -v p="$steps_passed" -v f="$steps_failed" \
    '{ $1 += p; $3 += f; print }'
exit $rc
