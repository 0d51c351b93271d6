#!/usr/bin/env bash
# HAKMEM_STRICT_CONFIG=1 in real preloaded programs (sort, python3): each kind of bad value,
# and an unknown HAKMEM_ variable, stops the program before it runs, with exactly one line on
# stderr naming the variable, its value and what is accepted, and exit status 2. Good values
# run; without strict mode the same bad value warns and the program runs.
# usage: check_strict_config.sh LIBHAKMEM
set -euo pipefail
lib=$1
fail() { echo "FAIL: $*" >&2; exit 1; }

expect_refused() {  # VAR=VALUE, a fragment of what is accepted
  local setting=$1 accepted=$2 err rc
  for prog in "sort /dev/null" "python3 -c pass"; do
    err=$(mktemp)
    rc=0
    env HAKMEM_STRICT_CONFIG=1 "$setting" LD_PRELOAD="$lib" $prog 2>"$err" >/dev/null || rc=$?
    [ "$rc" -eq 2 ] || fail "$setting ($prog): exit status $rc, expected 2; stderr: $(cat "$err")"
    [ "$(wc -l <"$err")" -eq 1 ] || fail "$setting ($prog): not one line: $(cat "$err")"
    grep -qF "hakmem: $setting: " "$err" || fail "$setting: the line does not name it: $(cat "$err")"
    grep -qF "accepted: $accepted" "$err" || fail "$setting: no '$accepted' in: $(cat "$err")"
    grep -qF "exiting with status 2" "$err" || fail "$setting: the line does not say it stops"
    rm -f "$err"
  done
  echo "refused: $setting"
}

expect_refused HAKMEM_TCACHE_CAP=abc "an integer in [1, 1024]"
expect_refused HAKMEM_DECAY_MS=99999999999 "an integer in [0, 3600000]"
expect_refused HAKMEM_ON_INVALID_FREE=maybe "abort|ignore"
expect_refused "HAKMEM_STATS_PRINT=$(head -c 300 /dev/zero | tr '\0' x)" "0, 1 or a file path (at most 255 bytes)"
expect_refused HAKMEM_NO_SUCH_OPTION=1 "only the variables of the README's table"
expect_refused HAKMEM_PROFILE=fast "balanced|throughput|low-memory|low-latency|debug"

# HAKMEM_PROFILE=debug is strict by itself: a bad value stops the program, status 2.
rc=0
err=$(env HAKMEM_PROFILE=debug HAKMEM_TCACHE_CAP=0 LD_PRELOAD="$lib" sort /dev/null 2>&1) || rc=$?
[ "$rc" -eq 2 ] || fail "HAKMEM_PROFILE=debug with a bad value: exit status $rc, expected 2: $err"
grep -qF "hakmem: HAKMEM_TCACHE_CAP=0: out of range [1, 1024]; accepted: an integer in [1, 1024]; HAKMEM_STRICT_CONFIG=1: exiting with status 2" <<<"$err" \
  || fail "HAKMEM_PROFILE=debug: the refusal line: $err"
# ... unless HAKMEM_STRICT_CONFIG=0 is set: the value keeps the profile's, with a warning.
rc=0
out=$(printf 'b\na\n' | env HAKMEM_PROFILE=debug HAKMEM_STRICT_CONFIG=0 HAKMEM_TCACHE_CAP=0 HAKMEM_STATS_PRINT=0 \
      LD_PRELOAD="$lib" sort 2>&1) || rc=$?
[ "$rc" -eq 0 ] || fail "HAKMEM_PROFILE=debug HAKMEM_STRICT_CONFIG=0 stopped the program ($rc): $out"
case "$out" in *"keeping 16 from HAKMEM_PROFILE"*) ;; *) fail "debug, not strict: no warning: $out" ;; esac

# Good values, strict: runs and sorts.
out=$(printf 'b\na\n' | env HAKMEM_STRICT_CONFIG=1 HAKMEM_TCACHE_CAP=64 HAKMEM_ON_INVALID_FREE=ignore \
      LD_PRELOAD="$lib" sort 2>&1)
[ "$out" = "$(printf 'a\nb')" ] || fail "strict with good values: got '$out'"
# Not strict: the same bad value warns and the program runs.
rc=0
out=$(printf 'b\na\n' | env HAKMEM_TCACHE_CAP=abc LD_PRELOAD="$lib" sort 2>&1) || rc=$?
[ "$rc" -eq 0 ] || fail "without strict mode, a bad value stopped the program ($rc)"
case "$out" in *"keeping default 128"*) ;; *) fail "without strict mode, no warning: $out" ;; esac
# Any value of HAKMEM_STRICT_CONFIG but 1 is judged like any other variable.
rc=0
out=$(env HAKMEM_STRICT_CONFIG=yes LD_PRELOAD="$lib" sort /dev/null 2>&1) || rc=$?
[ "$rc" -eq 0 ] || fail "HAKMEM_STRICT_CONFIG=yes stopped the program"
case "$out" in *"HAKMEM_STRICT_CONFIG=yes: not a non-negative integer"*) ;; *) fail "no warning for STRICT_CONFIG=yes: $out" ;; esac
echo "ok"
