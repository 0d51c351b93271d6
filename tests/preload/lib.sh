# shellcheck shell=bash
# Harness shared by the preload tests (sourced by run_*.sh; bash only).
#
# A test defines a function `workload` that runs a real program through "${RUN[@]}" and
# prints something deterministic on stdout. preload_run_both calls it twice in fresh
# directories: once plainly (RUN empty) and once with RUN = env LD_PRELOAD=libhakmem.so
# HAKMEM_STATS_PRINT=<file>. The test passes when
#   stdout and stderr of the two runs are byte-identical,
#   the HAKMEM run's stderr carries no loader complaint about the preload,
#   the stats file holds >= MIN_PROCS summary lines whose allocs= plus large_allocs= sum to
#   >= MIN_ALLOCS (proof that HAKMEM, not glibc, served the programs), and every line of it
#   starts with hakmem[PID] (the processes' O_APPEND blocks did not tear).
# PRELOAD_KEEP=1 keeps the scratch dir (base/, hakmem/, *.out, *.err, the stats file).
# Everything that legitimately varies between runs (locale, time zone, hash seeds, dates,
# user configuration) is pinned here or by the test, never filtered from the output.

set -euo pipefail

PRELOAD_INSTALL_HINT="install them with scripts/install-deps.sh (apt-get install -y python3 git g++ sqlite3 coreutils binutils)"

preload_die() {
  echo "preload.${PRELOAD_NAME:-?}: FAIL: $*" >&2
  exit 1
}

# preload_setup NAME LIB: checks LIB, makes the scratch dir, pins the environment.
preload_setup() {
  PRELOAD_NAME=$1
  local lib=${2:-}
  [[ -n $lib ]] || preload_die "usage: $0 /path/to/libhakmem.so"
  [[ -f $lib ]] || preload_die "library not found: $lib"
  PRELOAD_LIB=$(realpath "$lib")
  PRELOAD_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hakmem-preload-$PRELOAD_NAME.XXXXXX")
  if [[ -n ${PRELOAD_KEEP:-} ]]; then
    echo "preload.$PRELOAD_NAME: keeping $PRELOAD_TMP"
  else
    trap 'rm -rf "$PRELOAD_TMP"' EXIT
  fi
  PRELOAD_STATS=$PRELOAD_TMP/hakmem-stats.txt

  # The baseline must run on glibc's malloc, and options inherited from the caller's shell
  # (HAKMEM_STATS_PRINT=1 would add stderr lines) must not differ between the two runs.
  unset LD_PRELOAD
  local v
  for v in $(compgen -e); do
    [[ $v == HAKMEM_* ]] && unset "$v"
  done
  export LC_ALL=C LANG=C LANGUAGE=C TZ=UTC
  export PYTHONHASHSEED=0 SOURCE_DATE_EPOCH=1577836800
  export HOME=$PRELOAD_TMP/home
  mkdir -p "$HOME"
  cd "$PRELOAD_TMP"
}

# preload_require PROG...: a missing program fails the test; it must never pass silently.
preload_require() {
  local p
  for p in "$@"; do
    command -v "$p" >/dev/null 2>&1 \
      || preload_die "required program '$p' not found; $PRELOAD_INSTALL_HINT"
  done
}

# Runs `workload` in directory $1 with stdout/stderr to $1.out/$1.err; sets PRELOAD_SECS.
_preload_run_one() {
  local dir=$1 start status
  mkdir "$dir"
  start=$EPOCHREALTIME
  set +e
  ( set -e; cd "$dir"; workload ) >"$dir.out" 2>"$dir.err"
  status=$?
  set -e
  PRELOAD_SECS=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  if ((status != 0)); then
    echo "--- stderr of the $dir run (last 30 lines):" >&2
    tail -n 30 "$dir.err" >&2
    preload_die "workload failed in the $dir run with status $status"
  fi
}

# Shows where two files first differ, then fails.
_preload_diff_fail() {
  echo "--- diff $1 $2 (first 40 lines):" >&2
  diff "$1" "$2" | head -n 40 >&2 || true
  preload_die "$3"
}

# preload_run_both: the baseline run, the HAKMEM run, and the comparison of their output.
preload_run_both() {
  RUN=()
  _preload_run_one base
  local base_secs=$PRELOAD_SECS
  # shellcheck disable=SC2034  # RUN is read by the caller's workload function
  RUN=(env "LD_PRELOAD=$PRELOAD_LIB" "HAKMEM_STATS_PRINT=$PRELOAD_STATS")
  _preload_run_one hakmem
  local hakmem_secs=$PRELOAD_SECS

  # ld.so reports a preload it cannot load and carries on without it; so would the test.
  if grep -E -n 'ld\.so|cannot be preloaded|wrong ELF class|cannot open shared object|undefined symbol' \
      hakmem.err >&2; then
    preload_die "the dynamic loader complained about LD_PRELOAD=$PRELOAD_LIB"
  fi
  cmp -s base.out hakmem.out || _preload_diff_fail base.out hakmem.out "stdout differs under HAKMEM"
  cmp -s base.err hakmem.err || _preload_diff_fail base.err hakmem.err "stderr differs under HAKMEM"
  [[ -s base.out ]] || preload_die "the workload printed nothing; nothing was compared"
  PRELOAD_TIMES="base ${base_secs}s, hakmem ${hakmem_secs}s"
}

# preload_check_stats MIN_ALLOCS MIN_PROCS: HAKMEM served the programs of the HAKMEM run.
preload_check_stats() {
  local min_allocs=$1 min_procs=$2 summary
  [[ -s $PRELOAD_STATS ]] \
    || preload_die "no HAKMEM summary in $PRELOAD_STATS: the library was not preloaded or ignored HAKMEM_STATS_PRINT"
  # Each process appends its block with O_APPEND; a line not starting with hakmem[PID]
  # means blocks were torn or something else wrote there.
  local bad
  bad=$(grep -c -v -E '^hakmem\[[0-9]+\]' "$PRELOAD_STATS" || true)
  if ((bad > 0)); then
    grep -n -v -E '^hakmem\[[0-9]+\]' "$PRELOAD_STATS" | head -n 5 >&2 || true
    preload_die "$bad malformed line(s) in the HAKMEM stats file"
  fi
  # Served = allocs= + large_allocs= (counted on the safe side should allocs= include large).
  summary=$(awk '
    /^hakmem\[[0-9]+\] summary: allocs=[0-9]+ / {
      procs++
      for (i = 3; i <= NF; i++) {
        split($i, kv, "=")
        if (kv[1] == "allocs" || kv[1] == "large_allocs") allocs += kv[2]
        if (kv[1] == "frees" || kv[1] == "large_frees") frees += kv[2]
      }
    }
    END { printf "%d %d %d\n", procs, allocs, frees }' "$PRELOAD_STATS")
  read -r PRELOAD_PROCS PRELOAD_ALLOCS PRELOAD_FREES <<<"$summary"
  ((PRELOAD_PROCS >= min_procs)) \
    || preload_die "$PRELOAD_PROCS HAKMEM summary lines, expected >= $min_procs (one per process)"
  ((PRELOAD_ALLOCS >= min_allocs)) \
    || preload_die "HAKMEM served $PRELOAD_ALLOCS allocations, expected >= $min_allocs"
}

preload_pass() {
  echo "preload.$PRELOAD_NAME: OK ($PRELOAD_TIMES; $PRELOAD_PROCS processes, allocs=$PRELOAD_ALLOCS frees=$PRELOAD_FREES)"
}
