#!/usr/bin/env bash
# Installs every build and runtime dependency from Debian's archive
# (idempotent: a second run installs nothing). Needs root or sudo.
set -euo pipefail

PACKAGES=(
  # Build: offline Bazel and the C++ libraries the project links.
  bazel-bootstrap bazel-rules-java g++ clang-format
  libtorch-dev libabsl-dev libgflags-dev libgoogle-glog-dev libgtest-dev
  libbenchmark-dev libturbojpeg0-dev libstb-dev libcairo2-dev
  nlohmann-json3-dev zlib1g-dev libpng-dev
  # Headers of the Gloo library behind c10d's ProcessGroupGloo
  # (distributed training, kd/dist).
  libgloo-dev
  # Fuzzing (scripts/fuzz.sh): clang with libFuzzer and the sanitizer
  # runtimes, lld, llvm-symbolizer for readable reports.
  clang-14 libclang-rt-14-dev lld-14 llvm-14
  # libtorch's BLAS: without OpenBLAS it falls back to the reference BLAS,
  # about 30x slower for matrix products.
  libopenblas0-pthread
  # Reference values in tests, and PyTorch interop checks.
  python3 python3-torch
  # The embedded default data set (IDX files in /usr/share/datasets).
  dataset-fashion-mnist
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
echo "setup: done"
