#!/usr/bin/env bash
# run_case.sh LIB CASE PROGRAM [ARGS...]: runs one lifecycle case and checks its outcome.
# Preloaded cases must print "ok <case>", exit 0, and show (HAKMEM_STATS_PRINT) that HAKMEM
# served them; crash cases check the crash log and how the process ended.
set -u
lib=$1 case=$2
shift 2
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
fail() { echo "FAIL [$case]: $*"; echo "--- stdout"; cat "$out"; echo "--- stderr"; head -c 4000 "$err"; exit 1; }

case $case in
  crash_segv)
    HAKMEM_CRASH_LOG=stderr "$@" >"$out" 2>"$err"; rc=$?
    [ $rc -eq 139 ] || fail "expected death by SIGSEGV (139), got $rc"
    grep -q '^hakmem: crash log pid=[0-9]* signal=11 ' "$err" || fail "no crash log line"
    grep -q '^hakmem: lock pool acquisitions=' "$err" || fail "no lock table in the crash log" ;;
  crash_chain)
    CRASH_MODE=chain HAKMEM_CRASH_LOG=stderr "$@" >"$out" 2>"$err"; rc=$?
    [ $rc -eq 42 ] || fail "expected the program's handler to exit 42, got $rc"
    grep -q '^hakmem: crash log pid=' "$err" || fail "no crash log line"
    grep -q '^program handler ran$' "$err" || fail "the program's handler was not chained" ;;
  *)
    HAKMEM_STATS_PRINT=1 LD_PRELOAD=$lib "$@" >"$out" 2>"$err"; rc=$?
    [ $rc -eq 0 ] || fail "exit status $rc"
    grep -qx "ok $case" "$out" || fail "no 'ok $case' line"
    grep -q -i 'ld.so\|cannot be preloaded' "$err" && fail "loader complained about the preload"
    allocs=$(sed -n 's/^hakmem\[[0-9]*\] summary: allocs=\([0-9]*\) .*/\1/p' "$err" | head -1)
    min=10000; [ "$case" = dlopen ] && min=1000
    [ "$case" = fork_in_signal ] && min=100   # its loop runs until the forks are done
    [ -n "$allocs" ] && [ "$allocs" -ge "$min" ] || fail "HAKMEM's summary shows ${allocs:-no} allocations"
    if [ "$case" = glibc_extras ]; then
      [ "$(grep -c '^hakmem\[[0-9]*\] summary:' "$err")" -ge 2 ] || fail "malloc_stats printed no summary"
    fi ;;
esac
echo "ok $case"
