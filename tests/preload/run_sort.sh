#!/usr/bin/env bash
# Preload test: GNU sort of a 100 MB file must produce the same bytes under HAKMEM. One
# parallel in-memory sort (big buffers, two threads) and one keyed sort with a 32 MB buffer
# (spills to temporary files and merges them). The input is generated here, deterministically,
# and deleted with the scratch dir.
# Usage: run_sort.sh /path/to/libhakmem.so
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
preload_setup sort "${1:-}"
preload_require sort awk sha256sum

# ~4.2 M lines "hex32 word number": random order, many duplicate words and numbers.
awk 'BEGIN {
  srand(12345)
  while (n < 100 * 1024 * 1024) {
    line = sprintf("%08x %s %d", int(rand() * 4294967296),
                   substr("abcdefghijklmnopqrstuvwxyz", int(rand() * 26) + 1, int(rand() * 20) + 1),
                   int(rand() * 1000000))
    print line
    n += length(line) + 1
  }
}' >input.txt

workload() {
  mkdir spill
  local plain keyed  # assigned apart from echo, so that a failing sort fails the run
  plain=$("${RUN[@]}" sort --parallel=2 -T spill ../input.txt | sha256sum)
  keyed=$("${RUN[@]}" sort --parallel=2 -S 32M -T spill -k2,2 -k3,3n ../input.txt | sha256sum)
  echo "plain: $plain"
  echo "keyed: $keyed"
}

preload_run_both
# sort allocates few, large buffers: ~125 allocations per run on glibc.
preload_check_stats 40 2
preload_pass
