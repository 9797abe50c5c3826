#!/usr/bin/env bash
# third_party/glog_shim in front of a libtorch built without glog: LOG, CHECK,
# VLOG, DLOG and LOG_IF must expand to glog's, with glog included before or
# after libtorch, or not at all. Without the shim, glog first gives c10's
# LOG (whose LOG(INFO) prints nothing by default). Debian's c10 is built with
# glog, so a copy of its cmake_macros.h without C10_USE_GLOG stands in for an
# official build's; only the preprocessor runs.
set -uo pipefail
SHIM="third_party/glog_shim"
TMP="${TEST_TMPDIR:-$(mktemp -d)}/glog_shim"
mkdir -p "$TMP/fake/c10/macros"
sed 's|^#define C10_USE_GLOG$|/* #undef C10_USE_GLOG */|' \
  /usr/include/c10/macros/cmake_macros.h >"$TMP/fake/c10/macros/cmake_macros.h"
grep -q '^#define C10_USE_GLOG' "$TMP/fake/c10/macros/cmake_macros.h" && {
  echo "FAIL: could not undefine C10_USE_GLOG"; exit 1; }

failed=0
# expect <glog|c10> <shim dir or ""> <headers...>
expect() {
  local want=$1 shim=$2; shift 2
  local src="$TMP/t.cc" api=/usr/include/torch/csrc/api/include
  local flags=(-std=c++17 -E -I "$TMP/fake" -isystem "$api")
  [ -n "$shim" ] && flags=(-std=c++17 -E -I "$shim" -I "$TMP/fake" -isystem "$api")
  : >"$src"
  for h in "$@"; do echo "#include <$h>" >>"$src"; done
  echo 'int kd_mark; void f(int x) { LOG(INFO) << 1; CHECK(x) << 2;' \
    'VLOG(1) << 3; DLOG(INFO) << 4; LOG_IF(WARNING, x) << 5; }' >>"$src"
  local out
  out="$(g++ "${flags[@]}" "$src" 2>&1 | sed -n '/kd_mark/,$p')"
  local glog c10
  glog=$(grep -o 'google::LogMessage' <<<"$out" | wc -l)
  c10=$(grep -o 'c10::MessageLogger' <<<"$out" | wc -l)
  local got=mixed
  [ "$glog" -gt 0 ] && [ "$c10" -eq 0 ] && got=glog
  [ "$c10" -gt 0 ] && [ "$glog" -eq 0 ] && got=c10
  if [ "$got" = "$want" ]; then
    echo "ok: ${shim:+shim, }$* -> $got"
  else
    echo "FAIL: ${shim:+shim, }$* -> $got (want $want)"
    failed=$((failed + 1))
  fi
}
expect glog "$SHIM" glog/logging.h c10/util/Logging.h
expect glog "$SHIM" c10/util/Logging.h glog/logging.h
expect glog "$SHIM" c10/util/Logging.h
expect glog "$SHIM" glog/logging.h torch/torch.h
# What the shim fixes: glog first, then c10 redefines the names.
expect c10 "" glog/logging.h c10/util/Logging.h
[ "$failed" -eq 0 ]
