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
// fork child: the inherited mapping is the parent's file; give the child its own (or a
// private copy when that fails), same address, counts carried over. False when even the
// private copy failed: g_segment is still the parent's memory.
bool segment_after_fork_child();
// Normal exit (or an abort of ours): marks the segment abandoned and removes the file.
void segment_at_exit();
// A slot for a new heap struct, or nullptr when all are taken (registry lock held).
hak_seg_slot* segment_claim_slot_locked();
// Adds a slot-less heap's counts into the segment's retired record, then zeroes them
// (registry lock held).
void segment_retire_own_slot_locked(hak_seg_slot* own);

}  // namespace hakmem
