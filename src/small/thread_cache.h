// The thread cache: a thread's per-class lists of free blocks, which the fast paths pop and
// push (core/fast_path.h), and the counts they keep. The lists and counts live in the heap's
// segment slot (hak_seg_slot.caches, telemetry_abi.h), where readers see them; the thread-local
// part (t_cache) points there. Only the heap's user touches a cache.
//
// Counting is the list operations themselves: cache_pop adds one allocation, cache_push one
// free (the same add that counts the block), so there is nothing to publish and a reader sums
// every operation made before its read, of busy, idle and exited threads alike. The fork
// handlers (thread_heap.h) keep a child's caches its own, since the slot is shared memory.
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

// A thread's hot per-class cache: a singly linked list of free blocks (next in word 0). The
// layout is hak_seg_cache's. fill packs the block count (bits 0-15) with the frees counted
// (bits 16-63), so one add on the free path counts both. Invariant: count == length(head) <=
// cap; allocs and the frees field only grow (the frees field wraps once per 2^48 frees, and
// frees_wrapped carries it into the slot's published frees).
struct ClassCache {
  void* head;
  uint64_t fill;
  uint64_t allocs;
  uint32_t cap;
  uint32_t spare;
};
static_assert(sizeof(ClassCache) == kClassCacheBytes && sizeof(ClassCache) == sizeof(hak_seg_cache));
static_assert(offsetof(ClassCache, fill) == offsetof(hak_seg_cache, fill) &&
              offsetof(ClassCache, allocs) == offsetof(hak_seg_cache, allocs) &&
              offsetof(ClassCache, cap) == offsetof(hak_seg_cache, cap));

enum CacheState : uint8_t { kCacheNew = 0, kCacheActive = 1, kCacheTornDown = 2 };

// Zero: capacity 0 and no blocks. The fast paths never write it (every test fails first).
extern ClassCache g_no_caches[kNumClasses];

// The thread-local part: everything the fast paths touch besides the caches. cls points at
// g_no_caches until the thread's heap exists and again after teardown, so both states fall
// into the slow path.
struct ThreadCache {
  ClassCache* cls = g_no_caches;   // the heap's slot caches: caches_of(heap)
  ThreadHeap* heap = nullptr;
  hak_seg_slot* slot = nullptr;    // heap->slot
  uintptr_t tag_secret = 0;        // copy of g_free_secret: one TLS load on the free fast path
  uint8_t state = kCacheNew;
  // Remote frees during which the thread may still move to the heap whose blocks it frees
  // (take_over_parked_owner, thread_heap.h); 0 once it did, or when it got the heap it wanted.
  uint16_t takeover = 0;
};

extern __thread ThreadCache t_cache __attribute__((tls_model("initial-exec")));
extern ThreadCache g_global_cache;   // guarded by the global_heap lock

constexpr uint64_t kCountMask = 0xFFFF;
constexpr unsigned kFreesShift = HAK_SEG_CACHE_FREES_SHIFT;

inline uint32_t cache_count(const ClassCache& cc) { return static_cast<uint32_t>(cc.fill & kCountMask); }

// One more block in the list, one more free counted; true when the frees field wrapped.
inline bool count_free(ClassCache& cc) {
#if HAKMEM_TELEMETRY && defined(__x86_64__)
  // One add to memory and its carry flag: the builtin below makes GCC keep fill in a
  // register and costs two more instructions per free (measured with callgrind).
  bool carried;
  asm("addq %2, %0" : "+m"(cc.fill), "=@ccc"(carried) : "i"((1 << kFreesShift) + 1) : "cc");
  return carried;
#elif HAKMEM_TELEMETRY
  return __builtin_add_overflow(cc.fill, (uint64_t{1} << kFreesShift) + 1, &cc.fill);
#elif defined(__x86_64__)
  // The bare build gets the same single add to memory, so the two differ by the carry test.
  asm("addq $1, %0" : "+m"(cc.fill) : : "cc");
  return false;
#else
  ++cc.fill;
  return false;
#endif
}

// The list operations every path shares. cache_pop hands a block to a user (precondition:
// the list is not empty), clearing its free tag, and counts the allocation; it prefetches the
// next block for writing, whose line another core may hold (a list drained from a remote
// list: README, Fast path), while the user works on this one. cache_push takes a
// freed block, writing it, and counts the free: true when the frees field wrapped (call
// frees_wrapped).
inline void* cache_pop(ClassCache& cc) {
  void* b = cc.head;
  cc.head = *static_cast<void**>(b);
  __builtin_prefetch(cc.head, 1);
  --cc.fill;   // count >= 1 here: never borrows from the frees field
#if HAKMEM_TELEMETRY && defined(__x86_64__)
  // An add to memory: written in C, GCC pairs it with the decrement above in a vector add,
  // one instruction more.
  asm("addq $1, %0" : "+m"(cc.allocs) : : "cc");
#elif HAKMEM_TELEMETRY
  ++cc.allocs;
#endif
  static_cast<uintptr_t*>(b)[1] = 0;
  return b;
}

inline bool cache_push(ClassCache& cc, void* p, uintptr_t tag) {
  *static_cast<void**>(p) = cc.head;
  static_cast<uintptr_t*>(p)[1] = tag;
  cc.head = p;
  return count_free(cc);
}

// Debug builds (HAKMEM_VALIDATE): count == length(head) <= cap.
void validate_cache(const ClassCache& cc);

// Slow paths that move blocks in or out of a cache: the count changes, no total does.
inline void cache_add_blocks(ClassCache& cc, uint32_t n) { cc.fill += n; }
inline void cache_remove_block(ClassCache& cc) { --cc.fill; }

// cache_push reported that cc's frees field wrapped: adds 2^48 to the slot's published frees
// (of this thread's cache: no ThreadCache argument, so the fast path sets up less).
[[gnu::cold, gnu::noinline]] void frees_wrapped(ThreadCache& tc, ClassCache& cc);
[[gnu::cold, gnu::noinline]] void frees_wrapped_here(ClassCache& cc);

}  // namespace hakmem
