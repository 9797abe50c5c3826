#!/usr/bin/env bash
# The CMake build generated from the Bazel graph (scripts/gen_cmake.py):
#   1. the generator runs; every source file of the targets' in-repository
#      closure (asked of Bazel by another query than the generator's) and
#      every target appears in the CMakeLists.txt;
#   2. an external dependency the generator does not know stops it, naming it;
#   3. CMake configures it against Debian's libtorch (its TorchConfig.cmake)
#      and the installed libraries (KD_DEPS_PREFIX=/), ninja builds
#      plot_metrics (absl, gflags, glog, cairo) and libtorch_smoke (libtorch),
#      and both run.
# A step of scripts/test.sh (it runs bazel query); writes "passed failed" to
# out/gen_cmake_test/summary and exits 1 on a failure.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/scripts/lib/checks.sh" || exit 1
rm -rf "$ROOT/out/gen_cmake_test"
checks_begin gen_cmake "$ROOT/out/gen_cmake_test"
cd "$ROOT" || exit 1
TARGETS=(//tools:train //tools:evaluate //tools:dump_embeddings
  //tools:build_teacher_cache //tools:eval_loss //tools:plot_metrics
  //tests/tools:libtorch_smoke)
CMAKELISTS="$OUT/cmake/CMakeLists.txt"

check generate python3 scripts/gen_cmake.py --out "$OUT/cmake"

covers_graph() {
  local union
  union="$(printf ' + %s' "${TARGETS[@]}")"
  union="${union:3}"
  bazel query "labels(srcs, kind('cc_(library|binary|test)', deps($union)))" \
    2>/dev/null | grep '^//' | grep -E '\.(cc|c|cpp)$' >"$OUT/srcs.txt" || return 1
  local n=0 missing=0
  while read -r label; do
    local path="${label#//}"
    path="${path/://}"
    path="${path#/}"
    n=$((n + 1))
    grep -qF "\"\${KD_SOURCE_DIR}/$path\"" "$CMAKELISTS" ||
      { echo "missing source: $path"; missing=$((missing + 1)); }
  done <"$OUT/srcs.txt"
  for t in "${TARGETS[@]}"; do
    grep -q "^add_executable(${t#*:}\$" "$CMAKELISTS" ||
      { echo "missing executable: $t"; missing=$((missing + 1)); }
  done
  echo "$n sources, ${#TARGETS[@]} executables, $missing missing"
  [ "$n" -gt 100 ] && [ "$missing" -eq 0 ]
}
check covers_graph covers_graph

unknown_external() {
  bazel query --output=xml 'kind("cc_library", //kd/base:files)' \
    2>/dev/null >"$OUT/files.xml" || return 1
  sed -i 's|<label value="@sys//:absl"/>|&<label value="@sys//:not_mapped"/>|' \
    "$OUT/files.xml"
  ! python3 scripts/gen_cmake.py --xml "$OUT/files.xml" --out "$OUT/bad" \
    //kd/base:files >"$OUT/unknown.txt" 2>&1 &&
    grep -q '@sys//:not_mapped; add it to EXTERNAL' "$OUT/unknown.txt"
}
check unknown_external_stops unknown_external

configure_build_run() {
  cmake -S "$OUT/cmake" -B "$OUT/build" -G Ninja \
    -DTorch_DIR=/usr/lib/x86_64-linux-gnu/cmake/Torch -DKD_DEPS_PREFIX=/ &&
    ninja -C "$OUT/build" -j2 plot_metrics libtorch_smoke &&
    "$OUT/build/plot_metrics" --help | grep -q -- '--column' &&
    "$OUT/build/libtorch_smoke" cpu | tee /dev/stderr |
      grep -q 'cpu: conv forward+backward ok'
}
check configure_build_run configure_build_run

checks_end
