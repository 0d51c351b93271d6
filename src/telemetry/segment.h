// The segment's publisher: fills g_segment's static parts (counters/segment_storage.h), maps
// the shared file over it, keeps one file per process across fork and exec, removes it at
// exit, and hands heaps their slots. Every failure leaves telemetry off for this process after
// one stderr line; g_segment stays ordinary memory, so counting goes on and no allocation
// ever fails because of telemetry.
#pragma once
#include "counters/segment_storage.h"

namespace hakmem {

// Fills the static parts (header, settings, class sizes) and, when HAKMEM_STATS allows,
// publishes the segment file. Called once by init, after the configuration is loaded.
void segment_init();
// fork child, in two steps around the caches' repair (thread_heap.h): the inherited mapping is
// the parent's file; segment_fork_child_copy makes it a private copy, same address, counts
// carried over (false when even that failed: g_segment is still the parent's memory), and
// segment_fork_child_publish gives the child its own file, once its slots are its own.
bool segment_fork_child_copy();
void segment_fork_child_publish();
// fork child, once its copy is private and its slots' counts restarted (thread_heap.h): the
// locks' and the process record's counters start at zero too (a forked child counts its own
// operations, telemetry_abi.h); threads_started is 1 if the forking thread had counted itself.
void segment_restart_counts_after_fork(bool forking_thread_counted);
// Normal exit (or an abort of ours): marks the segment abandoned and removes the file.
void segment_at_exit();
// The slots handed out so far, record 0 included: the rest of g_segment.slots is all zero.
unsigned segment_slots_in_use();
// A slot for a new heap struct, or nullptr when all are taken (registry lock held).
hak_seg_slot* segment_claim_slot_locked();
// Adds a slot-less heap's counts into the segment's retired record, then zeroes them
// (registry lock held).
void segment_retire_own_slot_locked(hak_seg_slot* own);

}  // namespace hakmem
