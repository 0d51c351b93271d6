// The thread cache: a thread's per-class lists of free blocks, which the fast paths pop and
// push (core/fast_path.h), and the counts they keep. Lives in TLS (t_cache); everything else a
// thread owns is its heap (thread_heap.h). Only the owning thread touches it.
//
// Counting: a thread's unpublished counts are kept inside its class caches so the fast paths
// touch no other line: the free path's one add (cache_push) counts the block and the free at
// once, the malloc path counts nothing (allocations are derived, see ClassCache).
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
#include <cstddef>
#include <cstdint>

#include "base/constants.h"
#include "hakmem/telemetry_abi.h"

#ifndef HAKMEM_TELEMETRY
#error "HAKMEM_TELEMETRY must be defined (0 or 1) by the build: src/CMakeLists.txt"
#endif

namespace hakmem {

struct ThreadHeap;

// A thread's hot per-class cache: a singly linked list of free blocks (next in word 0).
// fill packs two 16-bit fields so one add on the free path counts both: the low half is
// count, the high half counts frees up from kTickStart (below) and carries out when a
// publish is due. Invariants: count == length(head) <= cap; allocations since the last
// publish == base + frees since it - count (so the malloc path counts nothing).
struct ClassCache {
  void* head;
  uint32_t fill;
  uint32_t cap;
  int64_t base;
  uint64_t unused;
};
static_assert(sizeof(ClassCache) == kClassCacheBytes);

enum CacheState : uint8_t { kCacheNew = 0, kCacheActive = 1, kCacheTornDown = 2 };

// The thread-local part: everything the fast paths touch. cap is 0 until the thread's heap
// exists and again after teardown, so both states fall into the slow path.
struct ThreadCache {
  ClassCache cls[kNumClasses];
  ThreadHeap* heap;
  hak_seg_slot* slot;     // heap->slot, where publish_class adds this cache's counts
  uintptr_t tag_secret;   // copy of g_free_secret: one TLS load on the free fast path
  uint32_t moved;         // blocks refilled or flushed since the last publish_all
  uint8_t state;
};

extern __thread ThreadCache t_cache __attribute__((tls_model("initial-exec")));
extern ThreadCache g_global_cache;   // guarded by the global_heap lock


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

// The list operations every path shares. cache_pop hands a block to a user (precondition:
// the list is not empty), clearing its free tag; cache_push takes a freed block, writing it,
// and counts the free: true when the publish budget is spent (call publish_spent).
inline void* cache_pop(ClassCache& cc) {
  void* b = cc.head;
  cc.head = *static_cast<void**>(b);
  --cc.fill;   // count >= 1 here: never borrows from the tick half
  static_cast<uintptr_t*>(b)[1] = 0;
  return b;
}

inline bool cache_push(ClassCache& cc, void* p, uintptr_t tag) {
  *static_cast<void**>(p) = cc.head;
  static_cast<uintptr_t*>(p)[1] = tag;
  cc.head = p;
  return count_free(cc);
}

// Sets every class's capacity from the config (HAKMEM_TCACHE_*), with empty counts.
void set_cache_caps(ThreadCache& tc);
// Debug builds (HAKMEM_VALIDATE): count == length(head) <= cap.
void validate_cache(const ClassCache& cc);

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

// Publishes class cls of tc into its heap's slot (tc.slot).
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
