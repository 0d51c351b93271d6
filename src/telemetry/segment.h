// The telemetry segment as the allocator writes it: one fixed layout (telemetry_abi.h
// records) in a page-aligned .bss object, g_segment. Every counter of the process lives there
// from the first instruction on; when telemetry is on, init maps the shared file
// <HAKMEM_STATS_DIR>/hakmem.<pid> over that object (same address, contents carried over),
// so counting code never knows or checks whether anyone is reading.
//
// Writers: per-heap slots are single-writer (the heap's user) and use seg_bump (relaxed load
// + store: never a locked instruction); process-wide fields that several threads touch use
// seg_add/seg_sub (relaxed atomic RMW, slow paths only). Readers in this process use seg_load.
#pragma once
#include <atomic>
#include <cstdint>

#include "constants.h"
#include "hakmem/telemetry_abi.h"

namespace hakmem {

// Heap slots: a heap keeps its slot for life (heap structs are recycled, never freed), so the
// counts of exited threads stay in the slot the next thread keeps adding to. Heaps beyond
// this many count into their own struct and add into the retired record when dissolved.
constexpr unsigned kSegmentSlots = 64;
constexpr unsigned kSegmentSettings = 32;

struct alignas(4096) Segment {
  hak_seg_header header;
  hak_seg_setting settings[kSegmentSettings];
  hak_seg_class_info classes[kNumClasses];
  hak_seg_process process;
  hak_seg_lock locks[kNumLocks];
  hak_seg_slot slots[1 + kSegmentSlots];   // [0]: retired heaps that had no slot of their own
};
static_assert(sizeof(Segment) % 4096 == 0);

extern Segment g_segment;

inline void seg_bump(uint64_t& c, uint64_t v) {
  std::atomic_ref<uint64_t> r(c);
  r.store(r.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
}
inline void seg_set(uint64_t& c, uint64_t v) {
  std::atomic_ref<uint64_t>(c).store(v, std::memory_order_relaxed);
}
inline void seg_add(uint64_t& c, uint64_t v) {
  std::atomic_ref<uint64_t>(c).fetch_add(v, std::memory_order_relaxed);
}
inline void seg_sub(uint64_t& c, uint64_t v) {
  std::atomic_ref<uint64_t>(c).fetch_sub(v, std::memory_order_relaxed);
}
inline uint64_t seg_load(const uint64_t& c) {
  return std::atomic_ref<uint64_t>(const_cast<uint64_t&>(c)).load(std::memory_order_relaxed);
}
inline void seg_max(uint64_t& c, uint64_t v) {
  std::atomic_ref<uint64_t> r(c);
  uint64_t cur = r.load(std::memory_order_relaxed);
  while (v > cur && !r.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

// Fills the static parts (header, settings, class sizes) and, when HAKMEM_STATS allows,
// publishes the segment file. Called once by init, after the configuration is loaded.
void segment_init();
// fork child: the inherited mapping is the parent's file; give the child its own (or a
// private copy when that fails), same address, counts carried over.
void segment_after_fork_child();
// Normal exit (or an abort of ours): marks the segment abandoned and removes the file.
void segment_at_exit();
// A slot for a new heap struct, or nullptr when all are taken (registry lock held).
hak_seg_slot* segment_claim_slot_locked();
// True when this process publishes a segment file.
bool segment_published();

}  // namespace hakmem
