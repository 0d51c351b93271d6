#!/usr/bin/env bash
# Runs one mode of bad_input under LD_PRELOAD=libhakmem.so and checks HAKMEM's verdict.
#   abort  (default policy): exit by SIGABRT (status 134), and stderr is exactly the one line
#          `hakmem: invalid free(0xADDR): REASON` (realloc for realloc_foreign), ADDR being the
#          pointer the program passed and REASON the one this mode must produce.
#   ignore (HAKMEM_ON_INVALID_FREE=ignore): exit 0 after `survived MODE`; the program itself
#          checks that nothing was damaged. stderr may hold that same line, nothing else.
#   oom and valid take no policy: exit 0, stderr empty, last stdout line `recovered` / `valid ok`.
# Usage: run_bad_input.sh LIB BAD_INPUT MODE [abort|ignore] [HAKMEM_X=VALUE ...]
#   (the settings after the policy reach the program; every other HAKMEM_* is unset)
set -euo pipefail

lib=${1:-} exe=${2:-} mode=${3:-} policy=${4:-abort}
settings=("${@:5}")
name="badinput.$mode"
[[ $policy == ignore ]] && name+=".ignore"
[[ ${#settings[@]} -gt 0 ]] && name+=" (${settings[*]})"
die() {
  echo "$name: FAIL: $*" >&2
  if [[ -n ${work:-} && -f $work/out ]]; then
    echo "--- stdout:" >&2; head -n 20 "$work/out" >&2
    echo "--- stderr:" >&2; head -n 20 "$work/err" >&2
  fi
  exit 1
}
[[ -n $mode ]] || die "usage: $0 LIB BAD_INPUT MODE [abort|ignore]"
[[ -f $lib ]] || die "library not found: $lib"
[[ -x $exe ]] || die "bad_input program not found: $exe"

case $mode in
  foreign_stack | foreign_static | foreign_mmap) reason="not allocated by hakmem" call=free ;;
  interior | interior_large) reason="interior pointer" call=free ;;
  double_tcache | double_slab | double_remote | double_remote_owner | double_remote_live | double_large | \
  double_large_local)
    reason="double free" call=free ;;
  realloc_foreign) reason="not allocated by hakmem" call=realloc ;;
  corrupt_header) reason="corrupt slab header" call=free ;;
  oom) expect="recovered" ;;
  valid) expect="valid ok" ;;
  *) die "unknown mode '$mode'" ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/hakmem-badinput.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Only the options this test sets reach the program (HAKMEM_STATS_PRINT=1 would add lines).
for v in $(compgen -e); do
  [[ $v == HAKMEM_* ]] && unset "$v"
done
unset LD_PRELOAD
ulimit -c 0  # the aborts are expected; no core files
env_args=("LD_PRELOAD=$(realpath "$lib")")
[[ $policy == ignore ]] && env_args+=(HAKMEM_ON_INVALID_FREE=ignore)
for kv in "${settings[@]}"; do
  [[ $kv == HAKMEM_*=* ]] || die "a setting must be HAKMEM_NAME=VALUE, not '$kv'"
  env_args+=("$kv")
done
[[ $policy == abort || $policy == ignore ]] || die "policy must be abort or ignore, not '$policy'"

set +e
# The outer 2>/dev/null swallows bash's own "Aborted" job notice; the program's stderr is $work/err.
{ env "${env_args[@]}" "$exe" "$mode" >"$work/out" 2>"$work/err"; } 2>/dev/null
status=$?
set -e

if grep -E -q 'ld\.so|cannot be preloaded|wrong ELF class|cannot open shared object' "$work/err"; then
  die "the dynamic loader did not preload $lib"
fi

if [[ $mode == oom || $mode == valid ]]; then
  ((status == 0)) || die "exit status $status, expected 0"
  [[ ! -s $work/err ]] || die "unexpected stderr"
  [[ $(tail -n 1 "$work/out") == "$expect" ]] || die "last stdout line is not '$expect'"
  echo "$name: OK ($(head -n 1 "$work/out"))"
  exit 0
fi

# The address the program passed, from its `attempt CALL(0xADDR)` line.
attempt=$(sed -n "s/^attempt $call(\(0x[0-9a-f]*\))\$/\1/p" "$work/out")
[[ -n $attempt ]] || die "the program never reached the bad $call"

# Checks that stderr is the one expected line (at most one line when the policy is ignore).
check_stderr() {
  local lines line reported
  lines=$(wc -l <"$work/err")
  if [[ $policy == ignore && $lines -eq 0 && ! -s $work/err ]]; then return 0; fi
  ((lines == 1)) || die "stderr has $lines lines, expected exactly 1"
  line=$(cat "$work/err")
  local re="^hakmem: invalid $call\\((0x[0-9a-f]+)\\): $reason\$"
  [[ $line =~ $re ]] || die "stderr line does not match '$re'"
  reported=${BASH_REMATCH[1]}
  ((reported == attempt)) || die "reported address $reported, but the program passed $attempt"
}

if [[ $policy == abort ]]; then
  if ((status != 134)); then
    if ((status > 128)); then
      die "killed by signal $((status - 128)) ($(kill -l $((status - 128)))), expected SIGABRT"
    fi
    die "exit status $status, expected death by SIGABRT (134)"
  fi
  check_stderr
  grep -q '^survived' "$work/out" && die "the program continued after the bad $call"
  echo "$name: OK ($(cat "$work/err"))"
else
  ((status == 0)) || die "exit status $status, expected 0 with HAKMEM_ON_INVALID_FREE=ignore"
  check_stderr
  [[ $(tail -n 1 "$work/out") == "survived $mode" ]] || die "no 'survived $mode' line"
  echo "$name: OK (survived)"
fi
