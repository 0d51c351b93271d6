#include "counters/resident_peak.h"

#include "base/size_classes.h"
#include "counters/segment_storage.h"

namespace hakmem {

constexpr uint64_t kMinPeakStep = 64 << 10;

std::atomic<uint64_t> g_next_peak_record{kMinPeakStep};

namespace {

// Set while a thread records; another thread that finds it set skips its record.
std::atomic<bool> g_recording{false};

// A heap's cache fields are written by its user with plain stores (the fast path: one add to
// memory, thread_cache.h); they are read here as any segment reader reads them, racily, each
// field stored whole. ThreadSanitizer is told so: this read is the telemetry contract.
#if defined(__SANITIZE_THREAD__)
#define HAK_RACY_READER __attribute__((no_sanitize("thread")))
#else
#define HAK_RACY_READER
#endif

HAK_RACY_READER uint64_t racy(const uint64_t& c) { return __atomic_load_n(&c, __ATOMIC_RELAXED); }

// Bytes in live blocks now, summed as a segment reader sums them (telemetry_abi.h): every
// claimed slot's frees before any slot's allocations, so a block freed by another thread than
// its allocator never shows as a free alone. Slots are claimed in order: the first FREE one
// after record 0 ends the claimed ones.
HAK_RACY_READER uint64_t live_bytes_now() {
  const hak_seg_slot* const end = g_segment.slots + 1 + kSegmentSlots;
  const hak_seg_slot* used = g_segment.slots + 1;
  while (used != end && __atomic_load_n(&used->state, __ATOMIC_RELAXED) != HAK_SEG_SLOT_FREE) ++used;
  uint64_t frees[kNumClasses] = {};
  for (const hak_seg_slot* s = g_segment.slots; s != used; ++s) {
    for (unsigned c = 0; c < kNumClasses; ++c) {
      frees[c] += racy(s->classes[c].frees) + (racy(s->caches[c].fill) >> HAK_SEG_CACHE_FREES_SHIFT);
    }
  }
  std::atomic_thread_fence(std::memory_order_acquire);
  const hak_seg_process& p = process_counts();
  uint64_t live = seg_load(p.large_live_bytes);
  for (unsigned c = 0; c < kNumClasses; ++c) {
    uint64_t allocs = seg_load(p.inherited_blocks[c]);
    for (const hak_seg_slot* s = g_segment.slots; s != used; ++s) {
      allocs += racy(s->classes[c].allocs) + racy(s->caches[c].allocs);
    }
    if (allocs > frees[c]) live += (allocs - frees[c]) * class_size_of(c);
  }
  return live;
}

}  // namespace

void record_resident_peak() {
  if (g_recording.exchange(true, std::memory_order_acquire)) return;
  hak_seg_process& p = process_counts();
  uint64_t resident = seg_load(p.resident_bytes);
  if (resident >= g_next_peak_record.load(std::memory_order_relaxed)) {
    uint64_t step = resident / 64 > kMinPeakStep ? resident / 64 : kMinPeakStep;
    g_next_peak_record.store(resident + step, std::memory_order_relaxed);
    seg_set(p.peak_live_bytes, live_bytes_now());
    seg_set(p.peak_mapped_bytes, seg_load(p.mapped_bytes));
    std::atomic_ref<uint64_t>(p.peak_resident_bytes).store(resident, std::memory_order_release);
  }
  g_recording.store(false, std::memory_order_release);
}

void resident_peak_after_fork_child() {
  g_recording.store(false, std::memory_order_relaxed);   // a parent thread may have held it
  g_next_peak_record.store(0, std::memory_order_relaxed);
  record_resident_peak();
}

}  // namespace hakmem
