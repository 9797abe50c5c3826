# Shell helpers shared by the experiment scripts (main_job.sh, ega_study.sh,
# reproduce.sh): build the tools, run one training run, read its summary.
# Source it from the repository root. Every run is resumable: a finished run
# (its summary.json exists) is skipped, a started one continues with
# --resume, so a killed script continues where it stopped.

# The release binaries (bazel-bin follows the last build's configuration).
# KD_BIN=<dir> with KD_BUILD=0 runs binaries built elsewhere instead.
KD_BIN="${KD_BIN:-bazel-out/k8-opt/bin/tools}"

# Debian's Python, which has python3-torch (scripts/setup.sh installs both).
KD_PYTHON="${KD_PYTHON:-/usr/bin/python3}"

# libgomp spin-waits by default: on a machine shared with other jobs that
# makes libtorch's small tensor ops many times slower. Yield instead.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"

# kd_build_tools TOOL...: installs the dependencies and builds the tools
# (release), e.g. kd_build_tools train plot_metrics.
kd_build_tools() {
  [[ "${KD_BUILD:-1}" == 0 ]] && return 0
  bash scripts/setup.sh
  bazel build -c opt "${@/#/\/\/tools:}"
}

# kd_train DIR FLAGS...: one `train` run into DIR, its log in DIR.log; prints
# one line (top-1, seconds). Skips a finished run, resumes a started one.
kd_train() {
  local dir=$1
  shift
  if [[ -f "$dir/summary.json" ]]; then
    echo "   $(kd_summary_line "$dir") (finished before)"
    return 0
  fi
  local resume=()
  [[ -d "$dir" ]] && resume=(--resume)
  mkdir -p "$(dirname "$dir")"
  if ! "$KD_BIN/train" --progress=false "$@" --out_dir="$dir" "${resume[@]}" \
    >"$dir.log" 2>&1; then
    echo "train failed for $dir; the end of $dir.log:" >&2
    tail -n 3 "$dir.log" >&2
    return 1
  fi
  echo "   $(kd_summary_line "$dir")"
}

# kd_summary_line DIR: "DIR: last top-1 X%, best Y%, Z s".
kd_summary_line() {
  "$KD_PYTHON" -c 'import json, sys
s = json.load(open(sys.argv[1] + "/summary.json"))
print("%s: last top-1 %.2f%%, best %.2f%%, %.0f s" % (
    sys.argv[1], s["last_top1"], s["best_top1"], s["seconds"]))' "$1"
}
