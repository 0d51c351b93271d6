#!/usr/bin/env bash
# Preload test: GNU sort of a 100 MB file must produce the same bytes under HAKMEM. Two
# threads sort in 40 MB buffers, so sort also spills to temporary files and merges them (a
# second sort of the same size, in memory only, added ~20 s and no allocator path not
# covered here). The input is generated here, deterministically, and deleted with the
# scratch dir.
# Usage: run_sort.sh /path/to/libhakmem.so
# shellcheck source=lib.sh
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
  local sorted  # assigned apart from echo, so that a failing sort fails the run
  sorted=$("${RUN[@]}" sort --parallel=2 -S 40M -T spill -k2,2 -k1,1 ../input.txt | sha256sum)
  echo "sorted: $sorted"
  echo "spill files left: $(find spill -type f | wc -l)"
}

preload_run_both
# sort allocates few, large buffers: ~70 allocations on glibc.
preload_check_stats 30 1
preload_pass
