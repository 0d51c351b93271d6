#!/usr/bin/env bash
# The main job: builds the release preset, then runs the Larson benchmark under libhakmem
# and under the system allocator (glibc), interleaved, and prints both throughputs and
# HAKMEM's own account of the run (its exit summary: refill paths, locks, pool, OS calls).
#   scripts/demo.sh [THREADS...]      default: 1 2
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target hakmem_shared larson >/dev/null

lib=$PWD/build/release/src/libhakmem.so
larson=$PWD/build/release/tests/bench/larson
args=(2 8 128 1024 1 12345)   # the seed's parameters; the last argument is the thread count
threads=("$@")
[ ${#threads[@]} -gt 0 ] || threads=(1 2)

throughput() { grep -o 'Throughput = [0-9]*' | grep -o '[0-9]*$'; }

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
printf '%-8s %-10s %22s\n' threads allocator "ops/s (larson ${args[*]} T)"
for t in "${threads[@]}"; do
  : >"$summary"
  h=$(HAKMEM_STATS_PRINT="$summary" LD_PRELOAD="$lib" "$larson" "${args[@]}" "$t" | throughput)
  g=$("$larson" "${args[@]}" "$t" | throughput)
  printf '%-8s %-10s %22s\n' "$t" hakmem "$h" "$t" glibc "$g"
  awk -v h="$h" -v g="$g" -v t="$t" 'BEGIN { if (g > 0) printf "%-8s %-10s %22.2f\n", t, "ratio", h / g }'
done
echo
echo "HAKMEM's exit summary of the last run (HAKMEM_STATS_PRINT; refill paths as refills/objects):"
grep -v ' lock name=.* acquisitions=0 ' "$summary"
