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

. tests/bench/hakmemd_bench.sh
bench_setup
mkdir "$work/bin"

for ((c = 0; c < COMMS; c++)); do ln -s "$steady" "$work/bin/program$c"; done
for ((i = 0; i < PROCS; i++)); do
  HAKMEM_STATS_DIR=$seg LD_PRELOAD=$preload "$work/bin/program$((i % COMMS))" "$CLASSES" churn >/dev/null &
  pids+=($!)
done

printf '%-11s %10s %12s %10s %9s %9s %12s %12s\n' export processes per-process per-comm ebpf hakmemd total per-process/1
for mode in processes aggregates both; do
  bench_start_hakmemd "$hakmemd" \
    '{"listen": "127.0.0.1:0", "segment_dir": "'"$seg"'", "rescan_interval_seconds": 1, "export": "'"$mode"'"}'
  bench_wait_live "$PROCS"
  sleep 2   # the probes see every process's calls
  curl -s "$url" >"$work/metrics.txt"
  awk -v mode="$mode" -v procs="$PROCS" '
    /^#/ || NF == 0 { next }
    /^hakmem_comm_/ { comm++; next }
    /^hakmem_bpf_/ { bpf++; next }
    /^hakmemd_/ { daemon++; next }
    /^hakmem_/ { proc++; next }
    END { total = proc + comm + bpf + daemon
          printf "%-11s %10d %12d %10d %9d %9d %12d %12.1f\n", mode, procs, proc, comm, bpf, daemon, total, proc / procs }
  ' "$work/metrics.txt"
  bench_stop_hakmemd
done
