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

bash scripts/setup.sh || exit 1

bazel build //... || { echo "0 passed, 1 failed"; exit 1; }
# --nocache_test_results: CI must run every test, not replay cached results.
bazel test --nocache_test_results //...
rc=$?

# Coverage-guided fuzzing; findings are left under out/fuzz/<target>/.
fuzz_passed=0 fuzz_failed=1
bash scripts/fuzz.sh 30 || rc=1
read -r fuzz_passed fuzz_failed <out/fuzz/summary

# A downstream workspace (tests/downstream) linking the trainer with a loss
# plugin of its own: its build, --help and a one-epoch run.
down_passed=0 down_failed=1
bash scripts/downstream_test.sh || rc=1
read -r down_passed down_failed <out/downstream/summary

# @libtorch with --repo_env=KD_LIBTORCH: a libtorch-zip layout made of
# Debian's files, a stand-in libtorch_cuda.so, a wrong directory.
layout_passed=0 layout_failed=1
bash tests/tools/libtorch_layout_test.sh || rc=1
read -r layout_passed layout_failed <out/libtorch_layout/summary

# The CMake build generated from the Bazel graph (scripts/gen_cmake.py):
# covers every source, configures and builds against Debian's libtorch.
cmake_passed=0 cmake_failed=1
bash tests/tools/gen_cmake_test.sh || rc=1
read -r cmake_passed cmake_failed <out/gen_cmake_test/summary

# Count test cases of this run's targets (bazel-testlogs keeps stale XML),
# plus the fuzz targets and the checks of the scripts above.
bazel query 'tests(//...) except attr(tags, "manual", //...)' 2>/dev/null |
  python3 tools/test_summary.py |
  awk -v p="$((fuzz_passed + down_passed + layout_passed + cmake_passed))" \
    -v f="$((fuzz_failed + down_failed + layout_failed + cmake_failed))" \
    '{ $1 += p; $3 += f; print }'
exit $rc
