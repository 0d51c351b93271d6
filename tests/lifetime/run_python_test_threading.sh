#!/usr/bin/env bash
# run_python_test_threading.sh LIB: CPython's own test_threading (Debian's
# libpython3.11-testsuite, for /usr/bin/python3) must pass under LD_PRELOAD=LIB as it does
# without it. It forks from threads, ends interpreters from non-main threads and checks that
# processes end when their threads do: a permanent allocator thread hangs it. PYTHONMALLOC=malloc
# routes every object through malloc.
set -u
lib=$1
python=/usr/bin/python3
testdir=$($python -c 'import os, test; print(os.path.dirname(test.__file__))' 2>/dev/null)
[ -f "$testdir/test_threading.py" ] \
  || { echo "FAIL: no test_threading.py for $python: install libpython3.11-testsuite (scripts/install-deps.sh)"; exit 1; }
export PYTHONMALLOC=malloc LC_ALL=C.UTF-8
unset LD_PRELOAD PYTHONPATH PYTHONHOME
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() {   # run NAME [env...]: the test's verdict line, its log in $work/NAME.log
  local name=$1; shift
  (cd "$work" && timeout 240 env "$@" $python -m test -q test_threading >"$work/$name.log" 2>&1)
  echo "$name: exit $? · $(grep -E '^(Tests result|Result):' "$work/$name.log" | tail -1)"
}
base=$(run glibc)
hakmem=$(run hakmem LD_PRELOAD="$lib" HAKMEM_STATS_PRINT="$work/stats")
echo "$base"; echo "$hakmem"
grep -q 'exit 0 · Tests result: SUCCESS' <<<"$base" \
  || { echo "FAIL: test_threading does not pass without the preload here"; tail -30 "$work/glibc.log"; exit 1; }
[ "${hakmem#hakmem: }" = "${base#glibc: }" ] \
  || { echo "FAIL: test_threading under HAKMEM differs from glibc"; tail -40 "$work/hakmem.log"; exit 1; }
procs=$(grep -c '^hakmem\[[0-9]*\] summary:' "$work/stats" 2>/dev/null)
[ "${procs:-0}" -ge 10 ] || { echo "FAIL: only ${procs:-0} HAKMEM summaries: the preload did not serve the test's processes"; exit 1; }
echo "ok lifetime.python_test_threading ($procs processes under HAKMEM)"
