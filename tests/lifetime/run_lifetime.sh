#!/usr/bin/env bash
# run_lifetime.sh LIB PROGRAM MODE: runs one lifetime case (lifetime_cases.c) on glibc and
# with LD_PRELOAD=LIB. Passes when both exit 0 within the timeout with byte-identical stdout
# and stderr, and HAKMEM's exit summary (written by the process's exit, so only if it ended
# through exit) shows that HAKMEM served the program.
set -u
lib=$1 prog=$2 mode=$3
limit=${LIFETIME_TIMEOUT:-30}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() {
  echo "FAIL [lifetime.$mode]: $*"
  for f in base.out base.err hakmem.out hakmem.err; do
    echo "--- $f"; head -c 2000 "$dir/$f"
  done
  exit 1
}

unset LD_PRELOAD HAKMEM_STATS_PRINT
timeout "$limit" "$prog" "$mode" >"$dir/base.out" 2>"$dir/base.err"; base_rc=$?
[ "$base_rc" -eq 0 ] || fail "the glibc run exited $base_rc"
timeout "$limit" env LD_PRELOAD="$lib" HAKMEM_STATS_PRINT="$dir/stats" "$prog" "$mode" \
  >"$dir/hakmem.out" 2>"$dir/hakmem.err"; rc=$?
[ "$rc" -ne 124 ] || fail "still running after ${limit}s under HAKMEM (killed by timeout)"
[ "$rc" -eq 0 ] || fail "exit status $rc under HAKMEM (glibc: 0)"
cmp -s "$dir/base.out" "$dir/hakmem.out" || fail "stdout differs from glibc's"
cmp -s "$dir/base.err" "$dir/hakmem.err" || fail "stderr differs from glibc's"
allocs=$(sed -n 's/^hakmem\[[0-9]*\] summary: allocs=\([0-9]*\) .*/\1/p' "$dir/stats" 2>/dev/null | head -1)
[ -n "$allocs" ] && [ "$allocs" -ge 100000 ] \
  || fail "HAKMEM's exit summary shows ${allocs:-no} allocations"
echo "ok lifetime.$mode ($(wc -l <"$dir/hakmem.out") lines, as on glibc)"
