// The decay clock (HAKMEM_DECAY_MS) shared by everything that returns idle memory to the OS:
// empty SuperSlabs (small/shared_pool.cc), free large-arena pages (large/arena_decay.cc),
// cached spans (large/span.cc) and parked heaps (small/thread_heap.cc). With no background
// helper, slow paths poll it; decay_check_due rate-limits that poll so a busy
// program pays one relaxed load and one clock read per slow path, not a locked walk.
#pragma once
#include <atomic>
#include <cstdint>

#include "support/env_config.h"
#include "os/os.h"

namespace hakmem {

inline uint64_t decay_ns() { return config().decay_ms * 1000000ull; }

// The one decay test: something idle since since_ns has waited out the decay at now_ns.
inline bool decayed(uint64_t since_ns, uint64_t now_ns) { return now_ns - since_ns >= decay_ns(); }

// True for one caller at most once per eighth of the decay (at least 1 ms apart) among those
// sharing `next` (the earliest time of the next check).
inline bool decay_check_due(std::atomic<uint64_t>& next) {
  uint64_t now = os::now_ns();
  uint64_t due = next.load(std::memory_order_relaxed);
  if (now < due) return false;
  uint64_t step = decay_ns() / 8 > 1000000 ? decay_ns() / 8 : 1000000;
  return next.compare_exchange_strong(due, now + step);
}

}  // namespace hakmem
