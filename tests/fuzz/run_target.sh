#!/usr/bin/env bash
# One libFuzzer target's bounded run (ctest fuzz.<target>; scripts/fuzz.sh runs it longer).
# usage: run_target.sh FUZZER WORKDIR THIRDS SEEDDIR... [-libFuzzer_flag...]
# The run lasts THIRDS thirds of HAKMEMTEST_FUZZ_SECONDS (default 60), or exactly
# HAKMEMTEST_FUZZ_TARGET_SECONDS when set. New inputs go to WORKDIR/corpus (which a run starts
# afresh), or to HAKMEMTEST_FUZZ_CORPUS, kept between runs; crash files to WORKDIR, or to
# HAKMEMTEST_FUZZ_ARTIFACTS. libFuzzer's output is kept in WORKDIR/fuzz.log as well (or in
# HAKMEMTEST_FUZZ_LOG). The
# knobs are named outside HAKMEM_* (HAKMEM_STRICT_CONFIG=1 would refuse an unknown one).
set -euo pipefail
fuzzer=$1 work=$2 thirds=$3
shift 3
seconds=${HAKMEMTEST_FUZZ_TARGET_SECONDS:-$(( (${HAKMEMTEST_FUZZ_SECONDS:-60} * thirds + 2) / 3 ))}
corpus=${HAKMEMTEST_FUZZ_CORPUS:-$work/corpus}
artifacts=${HAKMEMTEST_FUZZ_ARTIFACTS:-$work}
[ -n "${HAKMEMTEST_FUZZ_CORPUS:-}" ] || rm -rf "$corpus"
mkdir -p "$work" "$corpus" "$artifacts"
# -timeout: an input taking 5 s is a hang. The corpus comes first: libFuzzer writes new
# inputs into the first directory it is given.
set +e
"$fuzzer" -max_total_time="$seconds" -timeout=5 -print_final_stats=1 -artifact_prefix="$artifacts/" \
  "$corpus" "$@" 2>&1 | tee "${HAKMEMTEST_FUZZ_LOG:-$work/fuzz.log}"
rc=${PIPESTATUS[0]}
set -e
exit "$rc"
