#!/usr/bin/env bash
# Series per process and per host (a benchmark, never a test; README "Beyond one host"): PROCS
# live preloaded processes under COMMS program names (symlinks to steady_workload, CLASSES size
# classes each), one scrape of hakmemd in each "export" mode, and the series it serves,
# counted by kind: per-process hakmem_*, per-comm hakmem_comm_*, the eBPF families (per pid
# for the processes they counted) and hakmemd's own.
# Usage: tests/bench/series_count.sh [BUILD_DIR]   (default build/release)
# Environment: PROCS=200 COMMS=10 CLASSES=10
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$(realpath "${1:-build/release}")
hakmemd=$build/daemon/hakmemd/hakmemd
preload=$build/src/libhakmem.so
steady=$build/tests/e2e/steady_workload
PROCS=${PROCS:-200}
COMMS=${COMMS:-10}
CLASSES=${CLASSES:-10}
for f in "$hakmemd" "$preload" "$steady"; do
  [ -e "$f" ] || { echo "missing $f: build the release preset first" >&2; exit 2; }
done

work=$(mktemp -d)
seg=$work/seg
mkdir -m 700 "$seg" "$work/bin"
pids=()
daemon=
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for ((c = 0; c < COMMS; c++)); do ln -s "$steady" "$work/bin/program$c"; done
for ((i = 0; i < PROCS; i++)); do
  HAKMEM_STATS_DIR=$seg LD_PRELOAD=$preload "$work/bin/program$((i % COMMS))" "$CLASSES" churn >/dev/null &
  pids+=($!)
done

printf '%-11s %10s %12s %10s %9s %9s %12s %12s\n' export processes per-process per-comm ebpf hakmemd total per-process/1
for mode in processes aggregates both; do
  printf '{"listen": "127.0.0.1:0", "segment_dir": "%s", "rescan_interval_seconds": 1, "export": "%s"}\n' \
    "$seg" "$mode" >"$work/hakmemd.json"
  "$hakmemd" --config "$work/hakmemd.json" 2>"$work/hakmemd.log" &
  daemon=$!
  port=
  for _ in $(seq 100); do
    port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$work/hakmemd.log" | cut -d: -f2 || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$work/hakmemd.log"; exit 1; }
  live=0
  for _ in $(seq 300); do
    live=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^hakmemd_segments\{state="live"\}/ {print $2}')
    [ "${live:-0}" -ge "$PROCS" ] && break
    sleep 0.2
  done
  sleep 2   # the probes see every process's calls
  curl -s "http://127.0.0.1:$port/metrics" >"$work/metrics.txt"
  awk -v mode="$mode" -v procs="$PROCS" '
    /^#/ || NF == 0 { next }
    /^hakmem_comm_/ { comm++; next }
    /^hakmem_bpf_/ { bpf++; next }
    /^hakmemd_/ { daemon++; next }
    /^hakmem_/ { proc++; next }
    END { total = proc + comm + bpf + daemon
          printf "%-11s %10d %12d %10d %9d %9d %12d %12.1f\n", mode, procs, proc, comm, bpf, daemon, total, proc / procs }
  ' "$work/metrics.txt"
  kill "$daemon"; wait "$daemon" 2>/dev/null || true
  daemon=
done
