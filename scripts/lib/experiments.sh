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

# Method name -> the student's --loss flags, one table for every experiment
# script (reproduce.sh's rows, main_job.sh's). The baselines' weights are the
# ones of the CIFAR-100 benchmarks (RepDistiller) that the paper used, on the
# 256-d node embeddings as in the paper. NCE_K and DKD_WARMUP are filled in by
# reproduce.sh: CRD's negatives scaled to small data sets, DKD's warm-up to
# the schedule.
declare -A KD_METHOD_LOSSES=(
  [ce]="--loss=ce"
  [kd]="--loss=ce:weight=0.1 --loss=kd:weight=0.9,T=4"
  [fitnet]="--loss=ce --loss=fitnet:weight=100"
  [pkt]="--loss=ce --loss=pkt:weight=30000"
  [rkd]="--loss=ce --loss=rkd"
  [nce]="--loss=ce --loss=nce"
  [irg]="--loss=ce --loss=irg"
  [crd]="--loss=ce --loss=crd:weight=0.8,nce_k=NCE_K"
  [ccl]="--loss=ce --loss=ccl"
  [ega]="--loss=ce --loss=ega:node=0.8,edge=0.24"
  [ega_kd]="--loss=ce:weight=0.1 --loss=kd:weight=0.9,T=4 --loss=ega:node=0.8,edge=0.24"
  [ce_node]="--loss=ce --loss=ega:node=0.8,edge=0"
  [ce_edge]="--loss=ce --loss=ega:node=0,edge=0.24"
  # Not in the paper's table; with --methods (docs/losses.md has their
  # papers and reference weights; DKD's 20-of-240-epoch warm-up is scaled to
  # the run).
  [dkd]="--loss=ce --loss=dkd:alpha=1,beta=8,T=4,warmup=DKD_WARMUP"
  [dkd_ls]="--loss=ce --loss=dkd:T=2,standardize=true,warmup=DKD_WARMUP"
  [kd_ls]="--loss=ce:weight=0.1 --loss=kd:weight=0.9,T=2,standardize=true"
  [dist]="--loss=ce --loss=dist:beta=2,gamma=2,T=4"
  [at]="--loss=ce --loss=at:weight=1000"
  [sp]="--loss=ce --loss=sp:weight=3000"
  [cc]="--loss=ce --loss=cc:weight=0.02"
  [vid]="--loss=ce --loss=vid"
)

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
