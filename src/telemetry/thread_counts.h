// A thread's unpublished counts, kept inside its class caches so the fast paths touch no
// other line: the free path's one add (cache_push) counts the block and the free at once, the
// malloc path counts nothing (allocations are derived, see ClassCache in types.h).
//
// Publishing moves a cache's counts into its heap's segment slot: one class at each of its
// refills and flushes; all classes at thread exit, at hak_stats_snapshot(), when one class
// has counted kTickBudget frees (its tick half carries out) and when kTickBudget blocks have
// been refilled or flushed. Between publishes a class cache sees at most cap + kTickBudget
// allocations and kTickBudget frees, so no published counter is more than 64 K operations
// behind; and a thread busy with any one class publishes all of its counts at least every
// 2 * kTickBudget operations.
//
// The bare build (HAKMEM_TELEMETRY == 0, cmake -DHAKMEM_STATS=OFF) counts no allocations or
// frees at all: it exists to measure what this costs.
#pragma once
#include <cstdint>

#include "types.h"

#ifndef HAKMEM_TELEMETRY
#error "HAKMEM_TELEMETRY must be defined (0 or 1) by the build: src/CMakeLists.txt"
#endif
#define HAKMEM_UNLIKELY(x) __builtin_expect(!!(x), 0)

namespace hakmem {

constexpr uint32_t kCountMask = 0xFFFF;
constexpr uint32_t kTickBudget = 31744;   // 2 * 31744 + the largest cap (1024) < 65536
constexpr uint32_t kTickStart = (0x10000 - kTickBudget) << 16;
static_assert(2 * kTickBudget + 1024 < 65536);

inline uint32_t cache_count(const ClassCache& cc) { return cc.fill & kCountMask; }

// One more block in the list, one more free counted; true when the tick half carried out.
inline bool count_free(ClassCache& cc) {
#if HAKMEM_TELEMETRY && defined(__x86_64__)
  // One add to memory and its carry flag: the builtin below makes GCC keep fill in a
  // register and costs two more instructions per free (measured with callgrind).
  bool carried;
  asm("addl %2, %0" : "+m"(cc.fill), "=@ccc"(carried) : "i"(0x10000 + 1) : "cc");
  return carried;
#elif HAKMEM_TELEMETRY
  return __builtin_add_overflow(cc.fill, 0x10000u + 1, &cc.fill);
#elif defined(__x86_64__)
  // The bare build gets the same single add to memory, so the two differ by the carry test.
  asm("addl $1, %0" : "+m"(cc.fill) : : "cc");
  return false;
#else
  ++cc.fill;
  return false;
#endif
}

// A cache with no blocks and nothing to publish (set up by set_cache_caps).
inline void cache_reset_counts(ClassCache& cc) {
  cc.fill = kTickStart | cache_count(cc);
  cc.base = cache_count(cc);
}

// Slow paths that move blocks in or out of a cache right after publishing it.
inline void cache_add_blocks(ClassCache& cc, uint32_t n) {
  cc.fill += n;
  cc.base += n;
}
inline void cache_remove_block(ClassCache& cc) {
  --cc.fill;
  --cc.base;
}

// Publishes class cls of tc into its heap's slot.
void publish_class(ThreadCache& tc, unsigned cls);
void publish_all(ThreadCache& tc);
// cache_push reported a class's free budget spent: publish every class (of this thread's
// cache: no argument, so the fast path sets up no call).
[[gnu::cold, gnu::noinline]] void publish_spent(ThreadCache& tc);
[[gnu::cold, gnu::noinline]] void publish_spent_here();
// A refill or flush moved n blocks: publishes every class once enough have moved.
inline void note_moved(ThreadCache& tc, uint32_t n) {
  tc.moved += n;
  if (tc.moved >= kTickBudget) publish_all(tc);
}

}  // namespace hakmem
