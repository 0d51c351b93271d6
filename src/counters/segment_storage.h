// Where every counter of the process lives: g_segment, one fixed layout (telemetry_abi.h
// records) in a page-aligned .bss object, there from the first instruction on. When telemetry
// is on, the publisher (telemetry/segment.h) maps the shared file <HAKMEM_STATS_DIR>/hakmem.<pid>
// over this object (same address, contents carried over), so counting code never knows or
// checks whether anyone is reading. It sits below os/ because os/ counts its own calls here.
//
// The counting idioms, one name each:
//   seg_bump  single writer (a heap's slot, written by the heap's user): relaxed load + store,
//             never a locked instruction;
//   seg_add / seg_sub / seg_max  shared fields that several threads touch (process-wide
//             counters, lock records): relaxed atomic read-modify-write, slow paths only;
//   seg_set   a gauge replaced whole; seg_load  any reader in this process.
#pragma once
#include <atomic>
#include <cstdint>

#include "base/constants.h"
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

// The process-wide record: every shared counter that is not a lock's or a heap's.
inline hak_seg_process& process_counts() { return g_segment.process; }

inline void seg_bump(uint64_t& c, uint64_t v) {
  std::atomic_ref<uint64_t> r(c);
  r.store(r.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
}
inline void seg_set(uint64_t& c, uint64_t v) {
  std::atomic_ref<uint64_t>(c).store(v, std::memory_order_relaxed);
}
// Returns the value before the add.
inline uint64_t seg_add(uint64_t& c, uint64_t v) {
  return std::atomic_ref<uint64_t>(c).fetch_add(v, std::memory_order_relaxed);
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

}  // namespace hakmem
