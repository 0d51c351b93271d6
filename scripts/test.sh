#!/usr/bin/env bash
# Every test: installs missing packages, then builds and runs the release preset (all tests:
# unit, stress, preload, bad input, lifecycle, telemetry, reader, hakmemctl, hakmemd e2e), the
# debug preset (invariant validation on; the unit, lifecycle and benchmark smoke tests), the
# ASan/UBSan preset and the TSan preset (hak_* tests, the reader's tests, stress without fork
# or preload), and the fuzz preset (clang: six libFuzzer targets, the segment reader, hakmemd's
# HTTP parser and JSON config, the HAKMEM_* parser, hakmemctl's snapshot loader and the allocator
# itself, from their seeds: the reader for two thirds of HAKMEMTEST_FUZZ_SECONDS, default 60,
# every other target for a third, about 150 s in all; scripts/fuzz.sh runs them longer).
# Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

# Test processes publish telemetry segments; some end without exiting normally (aborts, forked
# children that _exit) and leave theirs behind. Keep them out of /dev/shm and remove them after.
HAKMEM_STATS_DIR=$(mktemp -d /dev/shm/hakmem-tests.XXXXXX)
export HAKMEM_STATS_DIR
trap 'rm -rf "$HAKMEM_STATS_DIR"' EXIT

status=0
for preset in release debug asan tsan fuzz; do
  echo "=== preset $preset ==="
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  labels=()
  [ "$preset" = debug ] && labels=(-L 'unit|lifecycle|bench')
  ctest --preset "$preset" "${labels[@]}" || status=1
done
exit $status
