// Process-wide counters that are not per heap (pool stages, releases, slabs per class), the
// snapshot that sums everything, and the HAKMEM_STATS_PRINT summary. Counting here happens on
// slow paths only (relaxed atomics); per-class hot counts live in the thread caches.
#pragma once
#include <cstdint>

#include "hakmem/hakmem.h"
#include "types.h"

namespace hakmem {

void count_pool_acquire(unsigned stage);
void count_pool_release(unsigned kind);

void note_thread_started();
void note_thread_exited();
// Adds a slot-less heap's counts into the segment's retired record, then zeroes them
// (registry lock held).
void retire_own_slot_locked(hak_seg_slot* own);
// Fills out from all heaps (registry lock taken inside).
void collect_stats(hak_stats* out);
// The HAKMEM_STATS_PRINT summary; first line
//   hakmem[PID] summary: allocs=N frees=N remote_frees=N large_allocs=N ...
void write_summary(int fd);
// At exit, if HAKMEM_STATS_PRINT asks for it.
void print_stats_at_exit();

}  // namespace hakmem
