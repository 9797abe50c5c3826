#!/usr/bin/env bash
# Prepares, on this (Debian 12) machine, what scripts/gpu_check.sh needs on a
# GPU machine that has no Bazel, no Abseil/gflags/glog and no network, only
# PyTorch (its libtorch), CUDA, CMake and ninja:
#   out/gpu_bundle/cmake/CMakeLists.txt   generated from the Bazel graph
#                                         (scripts/gen_cmake.py)
#   out/gpu_bundle/deps/usr/...           the Debian libraries the tools link
#                                         (Abseil, gflags, glog, libpng,
#                                         turbojpeg, zlib, cairo) with their
#                                         headers and every shared library
#                                         they need beyond glibc/libstdc++,
#                                         from the .debs (apt-get download,
#                                         or the local apt cache), unpacked
#                                         with dpkg -x; no docs, no .a
#   out/gpu_bundle/libstdcxx/             Debian's libstdc++6 and libgcc-s1,
#                                         used only where the machine's
#                                         libstdc++ lacks what these need
#   out/gpu_bundle/data/fashion-mnist/    8,192 training and 1,000 test images
#                                         of Debian's Fashion-MNIST (IDX .gz)
#   out/gpu_bundle/manifest.txt           package versions, the newest GLIBC_
#                                         and GLIBCXX_ versions the libraries
#                                         need, the size
# Fails if the bundle is 64 MiB or more (what the GPU machine can be given).
#
#   bash scripts/gpu_bundle.sh [--out DIR]      (default out/gpu_bundle)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
B="$ROOT/out/gpu_bundle"
[ "${1:-}" = "--out" ] && B="$(realpath -m "$2")"
DEBS="$ROOT/out/gpu_debs"  # download cache, not part of the bundle
LIBDIR=/usr/lib/x86_64-linux-gnu
LIMIT_MIB=64

rm -rf "$B"
mkdir -p "$B" "$DEBS"
python3 scripts/gen_cmake.py --out "$B/cmake"

# The libraries the generated build links (the file names gen_cmake maps the
# @sys labels to), and the packages of their runtime closure.
mapfile -t LINKED < <(sed -n 's/^kd_deps_lib([A-Z0-9_]* "\(.*\)")$/\1/p' "$B/cmake/CMakeLists.txt")
[ ${#LINKED[@]} -gt 0 ] || { echo "gpu_bundle: no kd_deps_lib lines"; exit 1; }
so_files=()
for pattern in "${LINKED[@]}"; do
  # shellcheck disable=SC2206  # the pattern globs on purpose
  matches=($LIBDIR/$pattern)
  [ -e "${matches[0]}" ] || { echo "gpu_bundle: $LIBDIR/$pattern missing (scripts/setup.sh)"; exit 1; }
  so_files+=("${matches[@]}")
done
# Left to the GPU machine: glibc, and the compiler runtime (libstdc++6,
# libgcc-s1: bundled apart as a fallback).
SKIP='^(libc6|libgcc-s1|libstdc\+\+6)$'
# The package owning a file, by its name (with usrmerge, /lib and /usr/lib
# name the same file but dpkg knows one of them).
pkgs_of() {
  local f
  for f in "$@"; do dpkg -S "*/x86_64-linux-gnu/$(basename "$f")" 2>/dev/null; done |
    cut -d: -f1 | tr ',' '\n' | sed 's/ //g'
}
mapfile -t RUNTIME < <(
  for so in "${so_files[@]}"; do
    readlink -f "$so"
    ldd "$so" | awk '/=> \// { print $3 }'
  done | sort -u | while read -r f; do pkgs_of "$f"; done | sort -u | grep -Ev "$SKIP")
# Headers: the -dev packages of the linked libraries (dpkg -S of the .so links).
mapfile -t DEV < <(for so in "${so_files[@]}"; do pkgs_of "$so"; done | sort -u | grep -Ev "$SKIP")
PACKAGES=($(printf '%s\n' "${RUNTIME[@]}" "${DEV[@]}" | sort -u))
echo "gpu_bundle: ${#PACKAGES[@]} packages: ${PACKAGES[*]}"

# unpack <package> <dir> [note]: the installed version's .deb (the local apt
# cache, else apt-get download) unpacked with dpkg -x; if the archive no
# longer has that version, the installed files themselves (dpkg -L).
unpack() {
  local p=$1 dir=$2 note=${3:-} v arch
  v="$(dpkg-query -W -f='${Version}' "$p")"
  arch="$(dpkg-query -W -f='${Architecture}' "$p")"
  local name="${p}_${v//:/%3a}_${arch}.deb" how=deb
  if [ ! -f "$DEBS/$name" ]; then
    if [ -f "/var/cache/apt/archives/$name" ]; then
      cp "/var/cache/apt/archives/$name" "$DEBS/"
    else
      (cd "$DEBS" && apt-get download -q "$p=$v" 2>&1 | grep -v '^W: Download is performed unsandboxed') || true
    fi
  fi
  if [ -f "$DEBS/$name" ]; then
    dpkg -x "$DEBS/$name" "$dir"
  else
    how="installed files"
    dpkg -L "$p" | while read -r f; do
      [ -f "$f" ] || [ -L "$f" ] || continue
      mkdir -p "$dir$(dirname "$f")" && cp -a "$f" "$dir$f"
    done
  fi
  echo "$p $v ($how${note:+, $note})" >>"$B/packages.txt"
}
for p in "${PACKAGES[@]}"; do unpack "$p" "$B/deps"; done
for p in libstdc++6 libgcc-s1; do unpack "$p" "$B/libstdcxx.tmp" fallback; done
# With usrmerge, files registered under /lib land in deps/lib: move them.
if [ -d "$B/deps/lib" ]; then
  cp -a "$B/deps/lib/." "$B/deps/usr/lib/" && rm -rf "$B/deps/lib"
fi
if [ -d "$B/libstdcxx.tmp/lib" ]; then
  mkdir -p "$B/libstdcxx.tmp/usr/lib"
  cp -a "$B/libstdcxx.tmp/lib/." "$B/libstdcxx.tmp/usr/lib/"
fi
mkdir -p "$B/libstdcxx"
mv "$B"/libstdcxx.tmp/usr/lib/x86_64-linux-gnu/libstdc++.so.6* \
  "$B"/libstdcxx.tmp/usr/lib/x86_64-linux-gnu/libgcc_s.so.1 "$B/libstdcxx/"
rm -rf "$B/libstdcxx.tmp" "$B"/libstdcxx/*.py

# Trim what no build or run reads.
rm -rf "$B"/deps/usr/share/{doc,man,info,lintian,bug,gtk-doc,locale} \
  "$B"/deps/usr/lib/x86_64-linux-gnu/*.a "$B"/deps/usr/bin "$B"/deps/usr/sbin \
  "$B"/deps/etc
find "$B/deps" -depth -type d -empty -delete

# A Fashion-MNIST subset for the runs (the GPU machine has no data set).
python3 - "$B/data/fashion-mnist" <<'PYEOF'
import gzip, os, struct, sys
src, dst = "/usr/share/datasets/fashion-mnist", sys.argv[1]
os.makedirs(dst, exist_ok=True)
for split, n in (("train", 8192), ("t10k", 1000)):
    for kind, item in (("images-idx3", 28 * 28), ("labels-idx1", 1)):
        name = "%s-%s-ubyte.gz" % (split, kind)
        with gzip.open(os.path.join(src, name)) as f:
            magic = f.read(4)
            dims = struct.unpack(">%dI" % magic[3], f.read(4 * magic[3]))
            body = f.read(n * item)
        with gzip.open(os.path.join(dst, name), "wb") as f:
            f.write(magic + struct.pack(">%dI" % len(dims), n, *dims[1:]) + body)
PYEOF

# The newest symbol versions the bundled libraries need from the machine.
need() {  # need <GLIBC_|GLIBCXX_|CXXABI_>
  find "$B/deps" -name '*.so*' -type f -print0 | xargs -0 objdump -T 2>/dev/null |
    grep -o "$1[0-9.]*" | sort -uV | tail -1
}
{
  echo "# scripts/gpu_bundle.sh, $(date -u +%F), from $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "needs_glibc=$(need 'GLIBC_')"
  echo "needs_glibcxx=$(need 'GLIBCXX_')"
  echo "needs_cxxabi=$(need 'CXXABI_')"
  echo "fallback_libstdcxx=$(ls "$B/libstdcxx" | grep -m1 'libstdc++.so.6.0')"
  echo "torch_debian=$(dpkg-query -W -f='${Version}' libtorch-dev)"
} >"$B/manifest.txt"
cat "$B/packages.txt" >>"$B/manifest.txt"
rm "$B/packages.txt"

size_kib=$(du -sk "$B" | cut -f1)
echo "size_mib=$((size_kib / 1024))" >>"$B/manifest.txt"
echo "gpu_bundle: $B: $((size_kib / 1024)) MiB ($(find "$B" -type f | wc -l) files)"
head -5 "$B/manifest.txt"
if [ "$size_kib" -ge $((LIMIT_MIB * 1024)) ]; then
  echo "gpu_bundle: too big: $((size_kib / 1024)) MiB >= $LIMIT_MIB MiB"
  exit 1
fi
