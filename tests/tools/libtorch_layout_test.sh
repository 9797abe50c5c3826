#!/usr/bin/env bash
# @libtorch with --repo_env=KD_LIBTORCH=<dir> (third_party/libtorch.bzl),
# checked without another libtorch at hand: a directory laid out like the
# official libtorch zip is made of symlinks into Debian's libtorch-dev, and
# //tests/tools:libtorch_smoke is built against it and run:
#   1. no BUILD file outside third_party/ names @sys//:torch;
#   2. the CPU layout: builds, runs (conv forward + backward), its RUNPATH
#      names <dir>/lib, so it runs outside bazel-bin;
#   3. a wrong directory (no lib/libtorch_cpu.so) fails with one clear line;
#   4. the same layout plus a stand-in libtorch_cuda.so (a constructor that
#      prints a line, nothing else): KD_WITH_CUDA=1, and the library is
#      linked and loaded although nothing references it, even when the
#      toolchain is told --as-needed.
# A step of scripts/test.sh (Bazel cannot run inside a Bazel test). Builds in
# an output base of its own, so the main build's stays as it is; writes
# "passed failed" to out/libtorch_layout/summary and exits 1 on a failure.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/scripts/lib/checks.sh" || exit 1
rm -rf "$ROOT/out/libtorch_layout"
checks_begin libtorch_layout "$ROOT/out/libtorch_layout"
cd "$ROOT" || exit 1

# 1. Every target links libtorch through @libtorch//:torch.
check no_sys_torch_refs bash -c \
  "! grep -rn --include=BUILD --include='*.bzl' '@sys//:torch\"' . \
     --exclude-dir=third_party --exclude-dir='bazel-*'"

# The official zip's layout, made of Debian's files.
LIBDIR=/usr/lib/x86_64-linux-gnu
make_layout() {  # make_layout <dir>
  local d=$1
  mkdir -p "$d/include" "$d/lib" "$d/share/cmake"
  for h in $(dpkg -L libtorch-dev | sed -n 's|^/usr/include/\([^/]*\)$|\1|p'); do
    ln -s "/usr/include/$h" "$d/include/$h"
  done
  for so in libtorch.so libtorch_cpu.so libc10.so libtorch_global_deps.so; do
    ln -s "$LIBDIR/$so" "$d/lib/$so"
  done
  for c in Torch Caffe2 ATen; do ln -s "$LIBDIR/cmake/$c" "$d/share/cmake/$c"; done
}
CPU_DIST="$OUT/libtorch_cpu"
make_layout "$CPU_DIST"

MAIN_BASE="$(bazel info output_base 2>/dev/null)" || {
  echo "libtorch_layout: bazel info failed"; exit 1; }
BAZEL=(bazel "--output_base=${MAIN_BASE}_libtorch")
FLAGS=(--symlink_prefix=/)
TARGET=//tests/tools:libtorch_smoke

# 2. The CPU layout.
build_and_run() {  # build_and_run <dist> <extra bazel flags...>
  local dist=$1; shift
  "${BAZEL[@]}" build "${FLAGS[@]}" --repo_env=KD_LIBTORCH="$dist" "$@" \
    "$TARGET" || return 1
  local bin
  bin="$("${BAZEL[@]}" info "${FLAGS[@]}" --repo_env=KD_LIBTORCH="$dist" "$@" \
    bazel-bin 2>/dev/null)/tests/tools/libtorch_smoke"
  readelf -d "$bin" | grep -E 'NEEDED|RUNPATH|RPATH'
  # From outside bazel-bin: a copy, without Bazel's runfiles.
  cp "$bin" "$OUT/smoke" && "$OUT/smoke" cpu
}
cpu_layout() {
  build_and_run "$CPU_DIST" >"$OUT/cpu_run.txt" 2>&1 || return 1
  grep -q 'libtorch 1.13' "$OUT/cpu_run.txt" &&
    grep -q 'KD_WITH_CUDA): 0' "$OUT/cpu_run.txt" &&
    grep -q 'cpu: conv forward+backward ok' "$OUT/cpu_run.txt" &&
    grep -q "RUNPATH.*$CPU_DIST/lib" "$OUT/cpu_run.txt"
}
check cpu_layout cpu_layout

# 3. A wrong directory: one line naming what is missing.
BAD="$OUT/not_libtorch"
mkdir -p "$BAD/include/torch/csrc/api/include" "$BAD/lib"
wrong_dir_error() {
  ! "${BAZEL[@]}" build "${FLAGS[@]}" --nobuild --repo_env=KD_LIBTORCH="$BAD" \
    "$TARGET" >"$OUT/wrong_dir.txt" 2>&1 &&
    grep -q "KD_LIBTORCH=$BAD: lib/libtorch_cpu.so is missing" "$OUT/wrong_dir.txt"
}
check wrong_dir_error wrong_dir_error

# 4. The layout with a stand-in libtorch_cuda.so.
CUDA_DIST="$OUT/libtorch_fake_cuda"
make_layout "$CUDA_DIST"
printf '%s\n' '#include <stdio.h>' \
  '__attribute__((constructor)) static void kd_loaded(void) {' \
  '  fputs("kd-test: stand-in libtorch_cuda.so loaded\n", stderr); }' \
  >"$OUT/fake_cuda.c"
gcc -shared -fPIC -Wl,-soname,libtorch_cuda.so -o "$CUDA_DIST/lib/libtorch_cuda.so" \
  "$OUT/fake_cuda.c"
fake_cuda_layout() {
  build_and_run "$CUDA_DIST" --linkopt=-Wl,--as-needed >"$OUT/cuda_run.txt" 2>&1 ||
    return 1
  grep -q 'NEEDED.*libtorch_cuda.so' "$OUT/cuda_run.txt" &&
    grep -q 'stand-in libtorch_cuda.so loaded' "$OUT/cuda_run.txt" &&
    grep -q 'KD_WITH_CUDA): 1' "$OUT/cuda_run.txt" &&
    grep -q 'cpu: conv forward+backward ok' "$OUT/cuda_run.txt"
}
check fake_cuda_layout fake_cuda_layout

# The second server is not needed any more: give its memory back.
"${BAZEL[@]}" shutdown 2>/dev/null
checks_end
