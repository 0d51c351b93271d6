#!/bin/sh
# Runs one program under LD_PRELOAD=libhakmem.so and proves HAKMEM served it.
#
# usage: check_summary.sh --lib LIBHAKMEM [--expect-stdout ERE] [KEY=MIN ...] -- COMMAND [ARGS]
#
# Only COMMAND is preloaded (not this shell, grep or sed), with HAKMEM_STATS_PRINT=1. Passes
# when COMMAND exits 0, stderr holds the exit summary line of COMMAND's own pid
#   hakmem[PID] summary: allocs=N frees=N remote_frees=N large_allocs=N ...
# (forked children may print their own lines; they do not count), every KEY in that line is
# >= its MIN, and, with --expect-stdout, some stdout line matches the extended regex. A run
# that silently fell back to libc's malloc prints no summary and fails. Both streams of
# COMMAND are passed through, so ctest --output-on-failure shows them.
set -u

lib=""
expect=""
mins=""
while [ $# -gt 0 ]; do
  case "$1" in
    --lib) lib="$2"; shift 2 ;;
    --expect-stdout) expect="$2"; shift 2 ;;
    --) shift; break ;;
    *=*) mins="$mins $1"; shift ;;
    *) echo "check_summary: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$lib" ] || [ $# -eq 0 ]; then
  echo "usage: check_summary.sh --lib LIB [--expect-stdout ERE] [KEY=MIN ...] -- COMMAND [ARGS]" >&2
  exit 2
fi
if [ ! -f "$lib" ]; then
  echo "check_summary: FAIL: no library at $lib" >&2
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check_summary.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
# Started in the background so that $! is COMMAND's own pid: the summary line names it.
LD_PRELOAD="$lib" HAKMEM_STATS_PRINT=1 "$@" >"$tmp/out" 2>"$tmp/err" &
pid=$!
wait "$pid"
rc=$?
cat "$tmp/out"
cat "$tmp/err" >&2

fail=0
if [ "$rc" -ne 0 ]; then
  echo "check_summary: FAIL: $1 exited with status $rc" >&2
  fail=1
fi
line=$(grep "^hakmem\[$pid\] summary:" "$tmp/err" | tail -n 1)
if [ -z "$line" ]; then
  echo "check_summary: FAIL: no 'hakmem[$pid] summary:' line on stderr (was HAKMEM loaded?)" >&2
  exit 1
fi
for kv in $mins; do
  key=${kv%%=*}
  min=${kv#*=}
  # The leading space keeps 'allocs' from matching inside 'large_allocs'.
  val=$(printf '%s\n' "$line" | sed -n "s/.* $key=\([0-9][0-9]*\).*/\1/p")
  if [ -z "$val" ]; then
    echo "check_summary: FAIL: no $key= in summary line" >&2
    fail=1
  elif [ "$val" -lt "$min" ]; then
    echo "check_summary: FAIL: $key=$val, expected >= $min" >&2
    fail=1
  fi
done
if [ -n "$expect" ] && ! grep -Eq "$expect" "$tmp/out"; then
  echo "check_summary: FAIL: no stdout line matches '$expect'" >&2
  fail=1
fi
[ "$fail" -eq 0 ] && echo "check_summary: ok ($line)"
exit "$fail"
