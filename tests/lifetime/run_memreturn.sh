#!/usr/bin/env bash
# run_memreturn.sh LIB MEMRETURN: where the helper thread may run (a program with threads
# besides main), freed memory goes back to the OS without further allocator calls: memreturn
# with one worker must see RSS at <= 10 % of its peak within 1 s of the last free (measured:
# 300-400 ms at the default 250 ms decay). Main alone (a single-threaded program, no helper)
# is reported, not checked: it returns memory at its next allocator slow path.
set -u
lib=$1 prog=$2
out=$(env LD_PRELOAD="$lib" "$prog" 1 256 1.5) || { echo "FAIL: memreturn 1 exited $?"; exit 1; }
ms=$(sed -n 's/^rss_return_ms = //p' <<<"$out")
echo "memreturn 1 worker: rss_return_ms = $ms ($(grep -E '^(peak_rss|rss_end)_kib' <<<"$out" | tr '\n' ' '))"
[ "$ms" != never ] && [ "$ms" -le 1000 ] || { echo "FAIL: RSS not back to 10 % of peak within 1 s"; echo "$out"; exit 1; }
single=$(env LD_PRELOAD="$lib" "$prog" 0 256 1.5 | sed -n 's/^rss_return_ms = //p')
echo "memreturn main alone (no helper may run): rss_return_ms = $single"
echo "ok lifetime.memreturn"
