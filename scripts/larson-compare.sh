#!/usr/bin/env bash
# The Larson comparison (scripts/demo.sh --larson runs it): builds the release preset, then
# runs the Larson benchmark under libhakmem and under the system allocator (glibc),
# interleaved, and prints both throughputs and HAKMEM's own account of the run (its exit
# summary: refill paths, locks, pool, OS calls); then runs Larson once more beside hakmemd and
# shows some of the metrics it serves meanwhile.
#   scripts/larson-compare.sh [THREADS...]      default: 1 2
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

hakmemd=$PWD/build/release/daemon/hakmemd/hakmemd
if ! cmake --build --preset release --target hakmemd >/dev/null 2>&1; then
  echo; echo "(hakmemd is not built here: see the README, section hakmemd)"; exit 0
fi
work=$(mktemp -d)
trap 'kill $daemon 2>/dev/null; rm -rf "$work" "$summary"' EXIT
mkdir -m 700 "$work/seg"
printf '{"listen": "127.0.0.1:0", "segment_dir": "%s"}\n' "$work/seg" >"$work/hakmemd.json"
"$hakmemd" --config "$work/hakmemd.json" 2>"$work/hakmemd.log" &
daemon=$!
port=
for _ in $(seq 50); do
  port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$work/hakmemd.log" | cut -d: -f2 || true)
  [ -n "$port" ] && break
  sleep 0.1
done
t=${threads[-1]}
HAKMEM_STATS_DIR=$work/seg LD_PRELOAD="$lib" "$larson" "${args[@]}" "$t" >/dev/null &
run=$!
sleep 1.5
echo
echo "hakmemd (127.0.0.1:$port/metrics) while Larson runs with $t threads (pid $run):"
curl -s "http://127.0.0.1:$port/metrics" >"$work/metrics.txt" || true
for family in hakmem_allocs_total hakmem_refill_objects_total hakmem_lock_contended_total; do
  grep "^$family{pid=\"$run\"" "$work/metrics.txt" | sort -k2 -g -r | head -4
done
grep -E '^hakmem_(mapped_bytes|superslabs)\{pid="'"$run"'"' "$work/metrics.txt"
# The kernel's count of the same process's memory calls (eBPF), beside the allocator's own.
grep -E '^hakmem_bpf_up' "$work/metrics.txt" || true
grep -E '^hakmem_(os_calls_total|bpf_syscalls_total)\{pid="'"$run"'"' "$work/metrics.txt" || true
wait $run || true
