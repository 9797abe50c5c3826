# Shared by the tools' shell tests (sourced, not run).
#
# expect_bad <expected substring> <binary> <args...>
# Runs $BIN/<binary> and checks the bad-input contract of every tool: exit
# code 2 and exactly one stderr line containing the substring. Counts
# mismatches in $failures; uses $TMP for the captured output.
expect_bad() {
  local want="$1"; shift
  local bin="$1"; shift
  "$BIN/$bin" "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  local lines
  lines=$(wc -l <"$TMP/err")
  if [[ $rc -ne 2 ]]; then
    echo "FAIL: $bin $*: exit code $rc, expected 2; stderr:"; cat "$TMP/err"
    failures=$((failures + 1))
  elif [[ $lines -ne 1 ]]; then
    echo "FAIL: $bin $*: $lines stderr lines, expected 1:"; cat "$TMP/err"
    failures=$((failures + 1))
  elif ! grep -qF -- "$want" "$TMP/err"; then
    echo "FAIL: $bin $*: stderr lacks '$want':"; cat "$TMP/err"
    failures=$((failures + 1))
  else
    echo "ok: $bin $* -> $(cat "$TMP/err")"
  fi
}
