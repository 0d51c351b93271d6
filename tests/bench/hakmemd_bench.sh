# Sourced by the hakmemd benchmarks (hakmemd_scale.sh, series_count.sh): a work directory
# with a private segment directory, hakmemd started on a free loopback port, and every
# process they start stopped (and the directory removed) when the script exits.
#   bench_setup                      sets work, seg; pids=() collects workload pids
#   bench_start_hakmemd BIN JSON     starts hakmemd with that config; sets daemon, port, url
#   bench_wait_live N                waits (up to 60 s) for N live segments; sets live
#   bench_stop_hakmemd

bench_cleanup() {
  [ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}

bench_setup() {
  work=$(mktemp -d)
  seg=$work/seg
  mkdir -m 700 "$seg"
  pids=()
  daemon=
  trap bench_cleanup EXIT
}

bench_start_hakmemd() {
  printf '%s\n' "$2" >"$work/hakmemd.json"
  "$1" --config "$work/hakmemd.json" 2>"$work/hakmemd.log" &
  daemon=$!
  port=
  for _ in $(seq 100); do
    port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$work/hakmemd.log" | cut -d: -f2 || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$work/hakmemd.log"; exit 1; }
  url=http://127.0.0.1:$port/metrics
}

bench_wait_live() {
  live=0
  for _ in $(seq 300); do
    live=$(curl -s "$url" | awk '/^hakmemd_segments\{state="live"\}/ {print $2}')
    [ "${live%.*}" -ge "$1" ] 2>/dev/null && break
    sleep 0.2
  done
}

bench_stop_hakmemd() {
  kill "$daemon"
  wait "$daemon" 2>/dev/null || true
  daemon=
}
