#!/usr/bin/env bash
# Every test: installs missing packages, then builds and runs the release preset (all tests:
# unit, stress, preload, bad input), the ASan/UBSan preset and the TSan preset (hak_* tests
# and stress without fork or preload). Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

status=0
for preset in release asan tsan; do
  echo "=== preset $preset ==="
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  ctest --preset "$preset" || status=1
done
exit $status
