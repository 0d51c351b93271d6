#!/usr/bin/env bash
# hakmemd at scale (a benchmark, never a test): PROCS live preloaded processes, each using
# CLASSES size classes, then
#   - scrape latency: SCRAPES back-to-back scrapes of /metrics, gzip-encoded as Prometheus asks
#     for them, median and p99 (goal p99 < 100 ms), and the daemon CPU time per scrape
#   - daemon memory: VmRSS and VmHWM after them (goal < 64 MiB)
#   - CPU at a 15 s scrape interval: utime+stime over WINDOW seconds with one scrape every
#     15 s and the default 10 s rescan (goal < 1 % of a core)
# Usage: tests/bench/hakmemd_scale.sh [BUILD_DIR]   (default build/release)
# Environment: PROCS=200 CLASSES=10 SCRAPES=200 WINDOW=60; HAKMEMD, PRELOAD, STEADY override paths
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/release}
hakmemd=${HAKMEMD:-$build/daemon/hakmemd/hakmemd}
preload=${PRELOAD:-$build/src/libhakmem.so}
steady=${STEADY:-$build/tests/e2e/steady_workload}
PROCS=${PROCS:-200}
CLASSES=${CLASSES:-10}
SCRAPES=${SCRAPES:-200}
WINDOW=${WINDOW:-60}
for f in "$hakmemd" "$preload" "$steady"; do
  [ -x "$f" ] || [ -f "$f" ] || { echo "missing $f: build the release preset first" >&2; exit 2; }
done

. tests/bench/hakmemd_bench.sh
bench_setup

echo "starting $PROCS workloads with $CLASSES classes each"
for ((i = 0; i < PROCS; i++)); do
  HAKMEM_STATS_DIR=$seg LD_PRELOAD=$(realpath "$preload") "$steady" "$CLASSES" sleep >/dev/null &
  pids+=($!)
done

bench_start_hakmemd "$hakmemd" '{"listen": "127.0.0.1:0", "segment_dir": "'"$seg"'", "rescan_interval_seconds": 10}'
bench_wait_live "$PROCS"
echo "live segments: $live"

curl -s "$url" >"$work/scrape.txt"
echo "one scrape: $(wc -c <"$work/scrape.txt") bytes, $(grep -vc '^#' "$work/scrape.txt") samples"

hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$daemon/stat"; }
s0=$(ticks)
for ((i = 0; i < SCRAPES; i++)); do
  curl -s --compressed -o /dev/null -w '%{time_total}\n' "$url"
done | sort -n >"$work/lat.txt"
median=$(awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}' "$work/lat.txt")
p99=$(awk '{a[NR]=$1} END {i=int(NR*0.99); if (i<1) i=1; print a[i]}' "$work/lat.txt")
max=$(tail -1 "$work/lat.txt")
awk -v n="$SCRAPES" -v m="$median" -v p="$p99" -v x="$max" 'BEGIN {
  printf "scrape latency over %d scrapes: median %.1f ms, p99 %.1f ms, max %.1f ms\n", n, m*1000, p*1000, x*1000 }'
s1=$(ticks)
awk -v d="$((s1 - s0))" -v hz="$hz" -v n="$SCRAPES" 'BEGIN {
  printf "daemon CPU per scrape (user+sys, the noise-free part of the latency): %.1f ms\n", d * 1000 / hz / n }'
grep -E '^Vm(RSS|HWM)' "/proc/$daemon/status" | awk '{printf "daemon %s %.1f MiB\n", $1, $2/1024}'

t0=$(ticks)
start=$SECONDS
next=0
while ((SECONDS - start < WINDOW)); do
  if ((SECONDS - start >= next)); then
    curl -s --compressed -o /dev/null "$url"
    next=$((next + 15))
  fi
  sleep 0.5
done
t1=$(ticks)
awk -v d="$((t1 - t0))" -v hz="$hz" -v w="$WINDOW" 'BEGIN {
  printf "CPU at a 15 s scrape interval over %d s: %.3f %% of a core (%d ticks)\n", w, d * 100 / hz / w, d }'
