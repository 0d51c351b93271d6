#!/usr/bin/env bash
# The reader's fuzz run (ctest fuzz.reader): seeds, then libFuzzer for a bounded time.
# usage: run_fuzz.sh FUZZER MAKE_SEEDS PRELOAD_LIB WORKDIR
# Seeds: synthesized ones (make_seeds) and real segments, copied by preloaded processes from
# their own live files: a single-threaded and a multi-threaded Python, one with other
# HAKMEM_* settings. The run itself is run_target.sh's, for two thirds of
# HAKMEMTEST_FUZZ_SECONDS (40 s by default).
set -euo pipefail
fuzzer=$1 make_seeds=$2 preload=$3 work=$4

rm -rf "$work"
mkdir -p "$work/seeds" "$work/segments"
"$make_seeds" "$work/seeds"

copy_own_segment='
import os, shutil, sys, threading
def work():
    keep = [bytearray(int(sys.argv[2])) for _ in range(5000)]
ts = [threading.Thread(target=work) for _ in range(int(sys.argv[3]))]
for t in ts: t.start()
for t in ts: t.join()
work()
shutil.copyfile(os.path.join(os.environ["HAKMEM_STATS_DIR"], "hakmem.%d" % os.getpid()), sys.argv[1])
'
real() {  # NAME SIZE THREADS [ENV...]
  local name=$1 size=$2 threads=$3
  shift 3
  env HAKMEM_STATS_DIR="$work/segments" LD_PRELOAD="$preload" "$@" \
    python3 -c "$copy_own_segment" "$work/seeds/$name" "$size" "$threads"
}
real real-single 48 0
real real-threads 200 3
real real-settings 1000 2 HAKMEM_TCACHE_CAP=16 HAKMEM_POOL=0
for f in real-single real-threads real-settings; do
  [ -s "$work/seeds/$f" ] || { echo "run_fuzz.sh: no real segment copied for $f" >&2; exit 1; }
done
echo "seeds: $(ls "$work/seeds" | tr '\n' ' ')"

# -rss_limit_mb: a segment is at most 64 MiB.
exec bash "$(dirname "$0")/run_target.sh" "$fuzzer" "$work" 2 "$work/seeds" -rss_limit_mb=2048
