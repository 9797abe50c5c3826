#!/usr/bin/env bash
# The GPU check: the one script to run on a GPU machine without Bazel (PyTorch
# with its libtorch, CUDA, CMake, ninja, a C++ compiler), in the repository
# root of a copy of the working tree that carries out/gpu_bundle (made here by
# scripts/gpu_bundle.sh). docs/gpu.md, "The GPU check".
#   1. preflight: nvidia-smi, torch version and CUDA, cmake, ninja, compiler,
#      glibc and libstdc++ against what the bundle needs (Debian's
#      libstdc++ from the bundle where the machine's is too old);
#   2. configure the generated CMake against PyTorch's libtorch, build the
#      tools (ninja -j$(nproc));
#   3. libtorch_smoke cpu cuda (a conv forward + backward agrees, TF32 off);
#   4. one step of EGA distillation (resnet32x4 -> resnet8x4, random
#      teacher, Fashion-MNIST subset) with --device=cpu and --device=cuda:
#      every loss term of the step agrees (fp32: 1e-3 relative, TF32 may be
#      on in cuDNN; bf16: 3e-2);
#   5. speed: a short EGA run on cuda at batch 64 and 256 (fp32, bf16), and
#      bench/pytorch_steps.py on the same GPU (step and epoch, images/s);
#   6. $OUT/summary.md: a markdown table of all of it.
# Time-boxed for a 15-minute device budget (build ~5 min at 16 cores, runs
# ~3 min); every run has its own timeout.
#
#   bash scripts/gpu_check.sh [--dry-run] [--bundle DIR] [--out DIR]
# --dry-run (any machine, no GPU): preflight, then configure against the
# installed (Debian) libtorch with the bundle's libraries and build and run
# plot_metrics and libtorch_smoke on CPU.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
DRY=0 BUNDLE="$ROOT/out/gpu_bundle" OUT_DIR="${OUT:-$ROOT/out/gpu_check}"
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY=1; shift ;;
    --bundle) BUNDLE="$(realpath -m "$2")"; shift 2 ;;
    --out) OUT_DIR="$(realpath -m "$2")"; shift 2 ;;
    *) echo "gpu_check: unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT_DIR"
SUMMARY="$OUT_DIR/summary.md"
BUILD="$ROOT/out/gpu_check_build"
DEPS="$BUNDLE/deps"
DATA="$BUNDLE/data/fashion-mnist"
JOBS="$(nproc)"
START=$(date +%s)
: >"$OUT_DIR/rows.md"
failures=0
row() {  # row <check> <result> <detail>
  printf '| %s | %s | %s |\n' "$1" "$2" "$3" | tee -a "$OUT_DIR/rows.md"
  [ "$2" = FAIL ] && failures=$((failures + 1))
  return 0
}
elapsed() { echo "$(($(date +%s) - START)) s"; }
write_summary() {
  {
    echo "# GPU check ($( ((DRY)) && echo dry run || echo GPU run), $(date -u '+%F %T') UTC)"
    echo
    echo "| check | result | detail |"
    echo "|---|---|---|"
    cat "$OUT_DIR/rows.md"
    echo
    echo "$failures failed; total $(elapsed). Logs: the other files next to this one."
  } >"$SUMMARY"
  cat "$SUMMARY"
}
[ -f "$BUNDLE/cmake/CMakeLists.txt" ] || {
  row bundle FAIL "no $BUNDLE/cmake/CMakeLists.txt: run scripts/gpu_bundle.sh and carry out/gpu_bundle"
  write_summary; exit 1; }

# ------------------------------------------------------------- preflight ---
PY=""
for p in "${KD_PYTHON:-}" python3 /usr/bin/python3; do
  [ -n "$p" ] && "$p" -c 'import torch' 2>/dev/null && { PY="$p"; break; }
done
{
  echo "## nvidia-smi"; nvidia-smi 2>&1 || true
  echo "## torch"; [ -n "$PY" ] && "$PY" -c 'import torch, sys
print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda,
      "available", torch.cuda.is_available(), "cmake_prefix_path", torch.utils.cmake_prefix_path)'
  echo "## tools"; cmake --version | head -1; ninja --version; c++ --version | head -1
  command -v nvcc && nvcc --version | tail -2
  echo "## glibc"; ldd --version | head -1
  echo "## bundle"; cat "$BUNDLE/manifest.txt"
} >"$OUT_DIR/preflight.txt" 2>&1
GPU="$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)"
((DRY)) || [ -n "$GPU" ] || row nvidia-smi FAIL "no GPU listed"
[ -n "$GPU" ] && row gpu ok "$GPU"
if [ -z "$PY" ]; then
  row python-torch FAIL "no python3 with torch (set KD_PYTHON)"
  TORCH_DESC="none"
else
  TORCH_DESC="$("$PY" -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda, "available:", torch.cuda.is_available())')"
  row python-torch ok "$TORCH_DESC"
fi
for t in cmake ninja c++; do
  command -v "$t" >/dev/null || row "$t" FAIL "not found"
done
row compiler ok "$(c++ --version | head -1), $(cmake --version | head -1), ninja $(ninja --version)"

# glibc and libstdc++ against what the bundle's Debian libraries need.
manifest() { sed -n "s/^$1=//p" "$BUNDLE/manifest.txt"; }
have_glibc="$(ldd --version | head -1 | grep -oE '[0-9]+\.[0-9]+$')"
need_glibc="$(manifest needs_glibc)"; need_glibc="${need_glibc#GLIBC_}"
newer() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -1)" = "$1" ] && [ "$1" != "$2" ]; }
if newer "$need_glibc" "$have_glibc"; then
  # Bundled libraries that need a newer glibc than this machine's: use the
  # machine's own copy (same soname) where it has one.
  moved=()
  mkdir -p "$DEPS/too_new_for_glibc"
  for f in "$DEPS"/usr/lib/x86_64-linux-gnu/*.so.*; do
    [ -f "$f" ] && [ ! -L "$f" ] || continue
    v="$(objdump -T "$f" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)"
    newer "${v#GLIBC_}" "$have_glibc" || continue
    soname="$(objdump -p "$f" | awk '/SONAME/ { print $2 }')"
    if ldconfig -p | grep "^[[:space:]]*$soname " >/dev/null; then
      mv "$DEPS/usr/lib/x86_64-linux-gnu/$soname" "$DEPS/too_new_for_glibc/" 2>/dev/null
      moved+=("$soname")
    else
      row glibc FAIL "$soname needs ${v} > $have_glibc and the machine has none"
    fi
  done
  row glibc warn "machine $have_glibc < bundle's $need_glibc: uses its own ${moved[*]:-(none)}"
else
  row glibc ok "$have_glibc (bundle needs $need_glibc)"
fi
LIBSTDCXX="$(c++ -print-file-name=libstdc++.so.6)"
need_glibcxx="$(manifest needs_glibcxx)"
EXTRA_CMAKE=()
RUN_LD_PATH="$DEPS/usr/lib/x86_64-linux-gnu"
if strings "$(readlink -f "$LIBSTDCXX")" 2>/dev/null | grep -x "$need_glibcxx" >/dev/null; then
  row libstdc++ ok "$LIBSTDCXX has $need_glibcxx"
else
  # Link without checking the bundled libraries' libstdc++ symbols, and run
  # with Debian's libstdc++ (newer, backward compatible) first.
  row libstdc++ warn "$LIBSTDCXX lacks $need_glibcxx: runs use the bundle's libstdc++ ($(manifest fallback_libstdcxx))"
  EXTRA_CMAKE+=(-DCMAKE_EXE_LINKER_FLAGS=-Wl,--allow-shlib-undefined)
  RUN_LD_PATH="$BUNDLE/libstdcxx:$RUN_LD_PATH"
fi
run() { LD_LIBRARY_PATH="$RUN_LD_PATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"; }

# ----------------------------------------------------- configure + build ---
if ((DRY)); then
  TORCH_DIR=/usr/lib/x86_64-linux-gnu/cmake/Torch
  TARGETS=(plot_metrics libtorch_smoke)
else
  TORCH_DIR="$("$PY" -c 'import torch; print(torch.utils.cmake_prefix_path)')/Torch"
  TARGETS=(train evaluate dump_embeddings build_teacher_cache eval_loss plot_metrics libtorch_smoke)
  # H200 (sm_90): skip CUDA architecture detection in Caffe2's cmake files.
  export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
fi
t0=$(date +%s)
if timeout 120 cmake -S "$BUNDLE/cmake" -B "$BUILD" -G Ninja -DTorch_DIR="$TORCH_DIR" \
  -DKD_DEPS_PREFIX="$DEPS" -DKD_SOURCE_DIR="$ROOT" "${EXTRA_CMAKE[@]}" \
  >"$OUT_DIR/cmake.log" 2>&1; then
  row configure ok "$(grep -m1 'kd: libtorch' "$OUT_DIR/cmake.log" | sed 's/^-- kd: //'); $(grep -m1 'glog shim' "$OUT_DIR/cmake.log" | sed 's/^-- kd: //')"
else
  row configure FAIL "cmake failed (cmake.log): $(grep -m1 -A2 'Error' "$OUT_DIR/cmake.log" | tr '\n' ' ' | cut -c1-300)"
  write_summary; exit 1
fi
if timeout 420 ninja -C "$BUILD" -j"$JOBS" "${TARGETS[@]}" >"$OUT_DIR/build.log" 2>&1; then
  row build ok "${TARGETS[*]}: $(($(date +%s) - t0)) s at -j$JOBS"
else
  row build FAIL "ninja failed after $(($(date +%s) - t0)) s (build.log): $(grep -m1 'error' "$OUT_DIR/build.log" | cut -c1-300)"
  write_summary; exit 1
fi

# ----------------------------------------------------------------- smoke ---
SMOKE_DEVICES=(cpu)
((DRY)) || SMOKE_DEVICES+=(cuda)
if run timeout 120 "$BUILD/libtorch_smoke" "${SMOKE_DEVICES[@]}" >"$OUT_DIR/smoke.txt" 2>&1; then
  row libtorch_smoke ok "$(head -1 "$OUT_DIR/smoke.txt"); ${SMOKE_DEVICES[*]} agree"
else
  row libtorch_smoke FAIL "$(tr '\n' ' ' <"$OUT_DIR/smoke.txt" | cut -c1-300)"
fi
if ((DRY)); then
  run "$BUILD/plot_metrics" --help >/dev/null 2>&1 && row plot_metrics ok "runs (--help)" ||
    row plot_metrics FAIL "does not start"
  write_summary
  exit $((failures > 0))
fi

# ------------------------------------------------ distillation on cuda ---
TRAIN="$BUILD/train"
RUNS="$OUT_DIR/runs"
mkdir -p "$RUNS"
COMMON=(--dataset=fashion_mnist --data_dir="$DATA" --progress=false --threads="$JOBS"
  --loader_workers=8 --seed=1)
# A random resnet32x4 teacher (one step of teacher mode): enough for speed
# and agreement, not for accuracy.
if run timeout 120 "$TRAIN" "${COMMON[@]}" --mode=teacher --teacher=resnet32x4 --epochs=1 \
  --max_steps_per_epoch=1 --train_subset=64 --eval_subset=10 --lr_milestones=1 \
  --device=cuda --out_dir="$RUNS/teacher" >"$RUNS/teacher.log" 2>&1; then
  row teacher ok "random resnet32x4 (one step, cuda)"
else
  row teacher FAIL "$(tail -3 "$RUNS/teacher.log" | tr '\n' ' ' | cut -c1-300)"
  write_summary; exit 1
fi
EGA=("${COMMON[@]}" --mode=sequential --teacher=resnet32x4
  --teacher_checkpoint="$RUNS/teacher/best.pt" --student=resnet8x4
  --loss=ce --loss=ega:node=0.8,edge=0.24 --lr_milestones=100)
# One step on each device: the loss terms of that step (taken before the
# update, so they depend only on the seeded weights and the batch).
one_step() {  # one_step <name> <flags...>
  local name=$1; shift
  run timeout 150 "$TRAIN" "${EGA[@]}" --epochs=1 --max_steps_per_epoch=1 \
    --train_subset=256 --eval_subset=10 --batch_size=64 "$@" \
    --out_dir="$RUNS/$name" >"$RUNS/$name.log" 2>&1
}
compare_terms() {  # compare_terms <a> <b> <rel tolerance>
  "$PY" - "$RUNS/$1/metrics.jsonl" "$RUNS/$2/metrics.jsonl" "$3" <<'PYEOF'
import json, sys
a, b = (json.loads(open(p).readlines()[-1]) for p in sys.argv[1:3])
tol = float(sys.argv[3])
keys = [k for k in a if k.startswith("train_") and isinstance(a[k], float)
        and "top" not in k and "grad" not in k and k in b]
worst, parts = 0.0, []
for k in keys:
    d = abs(a[k] - b[k]) / max(abs(a[k]), 1e-4)
    worst = max(worst, d)
    parts.append("%s %.6g/%.6g" % (k[len("train_"):], a[k], b[k]))
print(("ok" if keys and worst <= tol else "FAIL") +
      "|max rel diff %.2e (tol %g) over %d terms: %s" % (worst, tol, len(keys), "; ".join(parts)))
PYEOF
}
for prec in fp32 bf16; do
  tol=1e-3; [ "$prec" = bf16 ] && tol=3e-2
  if one_step "step_cpu_$prec" --device=cpu --precision="$prec" &&
    one_step "step_cuda_$prec" --device=cuda --precision="$prec"; then
    res="$(compare_terms "step_cpu_$prec" "step_cuda_$prec" "$tol")"
    row "one step cpu vs cuda, $prec" "${res%%|*}" "${res#*|}"
  else
    row "one step cpu vs cuda, $prec" FAIL "a run failed: $(tail -2 "$RUNS"/step_*_"$prec".log | tr '\n' ' ' | cut -c1-300)"
  fi
done
# fp16 autocast with loss scaling exists on CUDA only: against the CPU's fp32.
if one_step "step_cuda_fp16" --device=cuda --precision=fp16; then
  res="$(compare_terms "step_cpu_fp32" "step_cuda_fp16" 3e-2)"
  row "one step cpu fp32 vs cuda fp16" "${res%%|*}" "${res#*|}"
else
  row "one step cpu fp32 vs cuda fp16" FAIL "the run failed: $(tail -2 "$RUNS"/step_cuda_fp16.log | tr '\n' ' ' | cut -c1-300)"
fi

# Speed: two epochs of 8,192 images; images/s of the second (after cuDNN's
# algorithm search and the allocator's warm-up).
for batch in 64 256; do
  for prec in fp32 bf16; do
    name="ega_cuda_${prec}_b$batch"
    extra=()
    [ "$prec" = bf16 ] && extra=(--channels_last)
    if run timeout 150 "$TRAIN" "${EGA[@]}" --device=cuda --precision="$prec" "${extra[@]}" \
      --epochs=2 --train_subset=8192 --eval_subset=1000 --batch_size="$batch" \
      --out_dir="$RUNS/$name" >"$RUNS/$name.log" 2>&1; then
      ips="$("$PY" -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; print(r[-1]["images_per_s"])' "$RUNS/$name/metrics.jsonl")"
      row "train EGA cuda $prec batch $batch" ok "$ips images/s (epoch 2 of 2, 8,192 images, data pipeline included)"
    else
      row "train EGA cuda $prec batch $batch" FAIL "$(tail -2 "$RUNS/$name.log" | tr '\n' ' ' | cut -c1-300)"
    fi
  done
done

# The PyTorch side on the same GPU: the EGA step (no data pipeline) and an
# EGA epoch with its DataLoader.
for batch in 64 256; do
  for bf16 in "" --bf16; do
    for work in ega epoch; do
      label="pytorch $work cuda $([ -n "$bf16" ] && echo bf16 || echo fp32) batch $batch"
      if out="$(timeout 120 "$PY" bench/pytorch_steps.py --device=cuda --work="$work" \
        --batch_size="$batch" --images=8192 --data_dir="$DATA" --steps=20 $bf16 2>"$RUNS/pytorch.err")"; then
        row "$label" ok "$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["images_per_s"])' "$out") images/s"
      else
        row "$label" FAIL "$(tail -2 "$RUNS/pytorch.err" | tr '\n' ' ' | cut -c1-300)"
      fi
    done
  done
done
write_summary
exit $((failures > 0))
