#!/usr/bin/env bash
# Longer fuzzing by hand: builds the fuzz preset, then runs each target (default: all six) for
# N seconds (default 300), one at a time, from its committed seeds plus a corpus kept between
# runs in build/fuzz/corpus/<target>/. Prints per target the executions, exec/s, libFuzzer's
# final cov: and ft:, the corpus (files kept, and libFuzzer's corp: units/size) and crashes;
# crash files stay in build/fuzz/crashes/<target>/ (their paths are printed) and the script
# then exits non-zero. Logs: build/fuzz/logs/<target>.log.
# usage: scripts/fuzz.sh [--seconds N] [reader|http_request|config|env_config|snapshot_json|alloc]...
# Each target runs exactly as its ctest test fuzz.<target> does (the command is ctest's own,
# from --show-only=json-v1), with the length, corpus, crash and log places of run_target.sh's
# HAKMEMTEST_FUZZ_* knobs set.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=300
targets=()
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --seconds=*) seconds=${1#*=}; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(reader http_request config env_config snapshot_json alloc)

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

root=$PWD/build/fuzz
mkdir -p "$root/logs"
status=0
printf '%-14s %12s %8s %7s %8s %20s %8s\n' target executions exec/s cov ft corpus crashes
for t in "${targets[@]}"; do
  cmd=$(ctest --preset fuzz -R "^fuzz\.$t\$" --show-only=json-v1 | python3 -c '
import json, shlex, sys
tests = json.load(sys.stdin)["tests"]
print(shlex.join(tests[0]["command"]) if tests else "")')
  if [ -z "$cmd" ]; then
    echo "fuzz.sh: no ctest test fuzz.$t" >&2
    status=1
    continue
  fi
  corpus=$root/corpus/$t crashes=$root/crashes/$t log=$root/logs/$t.log
  mkdir -p "$corpus" "$crashes"
  rc=0
  HAKMEMTEST_FUZZ_TARGET_SECONDS=$seconds HAKMEMTEST_FUZZ_CORPUS=$corpus HAKMEMTEST_FUZZ_ARTIFACTS=$crashes \
    HAKMEMTEST_FUZZ_LOG=$log bash -c "$cmd" >/dev/null 2>&1 || rc=$?
  stat_of() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  final=$(grep -aE '^#[0-9]+.*cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$final")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$final")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$final")
  found=$(find "$crashes" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
  n=$(grep -c . <<<"$found" || true)
  printf '%-14s %12s %8s %7s %8s %20s %8s\n' "$t" "$(stat_of number_of_executed_units)" \
    "$(stat_of average_exec_per_sec)" "${cov:-?}" "${ft:-?}" "$(ls "$corpus" | wc -l) ($corp)" "$n"
  if [ "$n" -gt 0 ] || [ "$rc" -ne 0 ]; then
    status=1
    [ -n "$found" ] && sed 's/^/  crash file: /' <<<"$found"
    echo "  exit status $rc; log: $log"
  fi
done
exit $status
