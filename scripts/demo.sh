#!/usr/bin/env bash
# The main job: HAKMEM at work on live programs (demo/run.py). Installs what is missing,
# builds the release preset's library, larson, hakmemd and hakmemctl, then starts hakmemd and
# a real Prometheus on loopback, runs larson and python3 under two profiles side by side for
# about two minutes, and shows the compare view, queries to paste, how to point Grafana at
# it, and a PNG of the key panels (build/demo/hakmem-demo.png). Ctrl-C stops it cleanly.
#   scripts/demo.sh [--duration S] [--profiles A,B] [--out DIR]    (demo/run.py --help)
#   scripts/demo.sh --larson [THREADS...]    the Larson throughput comparison with glibc
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = --larson ]; then
  shift
  exec bash scripts/larson-compare.sh "$@"
fi
bash scripts/install-deps.sh
echo "building the release preset (library, larson, hakmemd, hakmemctl)..."
cmake --preset release >/dev/null
cmake --build --preset release --target hakmem_shared larson hakmemd hakmemctl >/dev/null
exec /usr/bin/python3 demo/run.py "$@"
