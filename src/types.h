// The allocator's core structures, each with the invariant that holds whenever its owner is
// not inside a slow path. validate_*() in heap_check.cc checks them in debug builds.
//
// Ownership: a slab belongs to at most one ThreadHeap; only that heap touches the slab's
// free list, virgin range, `used` and list links. Other threads touch a slab only through its
// remote list (one CAS push) and by reading `owner`.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "constants.h"
#include "hakmem/telemetry_abi.h"
#include "large_arena.h"
#include "lock.h"

namespace hakmem {

struct ThreadHeap;

constexpr unsigned kLocalRuns = 4;   // freed arena runs a heap keeps without a lock (large.cc)

enum SlabState : uint8_t {
  kSlabFree = 0,     // in the shared pool or a heap's stash; no class
  kSlabOwned = 1,    // bound to a class, owned by `owner`
  kSlabOrphan = 2,   // its owner exited with blocks still live; waits for adoption
};

// Per-slab metadata, in the SuperSlab header. Line A is read on every free (by any thread)
// and written only when the slab changes hands; line B is the owner's working state plus the
// remote list, so remote pushes never invalidate line A.
//
// Invariant (owned or orphaned slab):
//   used + length(free_list) + (limit - virgin) / obj_size == capacity + uncounted
// where `used` counts blocks with users, in thread caches, or on the remote list, and
// `uncounted` >= 0 is the number of drained remote blocks whose pusher had not yet bumped
// remote_count: `used` may lag high, never low, so a slab is never released early.
struct alignas(64) SlabMeta {
  // line A
  std::atomic<ThreadHeap*> owner;
  char* start;            // first block
  uint64_t divc;          // divisibility test by obj_size, see size_classes.h
  uint32_t span;          // capacity * obj_size: offsets below it lie in a block
  uint32_t obj_size;
  uint32_t capacity;
  uint16_t cls;
  uint16_t cache_offset;  // cls * sizeof(ClassCache): the free fast path's index, precomputed
  std::atomic<uint8_t> state;
  uint8_t index;          // position in the SuperSlab
  alignas(64) std::atomic<void*> remote_head;   // line B: MPSC list, next pointer in word 0
  std::atomic<uint32_t> remote_count;           // pushes counted after their CAS (see slab.cc)
  void* free_list;
  char* virgin;           // [virgin, limit): never handed out
  char* limit;
  uint32_t used;
  uint32_t in_owned_list;
  SlabMeta* prev;         // owner's per-class list, the orphan list, or the stash
  SlabMeta* next;
};
static_assert(sizeof(SlabMeta) == 128);

constexpr uint64_t kSuperSlabMagic = 0x48414b4d454d5353ull;   // "HAKMEMSS"

// A 2 MiB-aligned region: this header, then 32 slabs of 64 KiB (slab 0 starts after the
// header). Pool fields are guarded by the pool lock.
// Invariant: popcount(free_mask) == number of slabs in the pool's free state;
//            on the pool's empty list  <=>  free_mask == all ones.
struct SuperSlab {
  uint64_t magic;          // kSuperSlabMagic ^ address: a scribbled header is detected
  uint32_t free_mask;      // slabs handed back to the pool
  uint32_t pool_list;      // which pool list holds it (shared_pool.cc)
  uint64_t empty_since_ns;
  SuperSlab* prev;
  SuperSlab* next;
  alignas(64) SlabMeta slabs[kSlabsPerSuperSlab];
};
static_assert(sizeof(SuperSlab) <= kSuperSlabHeaderSize);

inline SuperSlab* superslab_of(const void* p) {
  return reinterpret_cast<SuperSlab*>(reinterpret_cast<uintptr_t>(p) & ~kSuperSlabMask);
}
inline bool superslab_header_ok(const SuperSlab* ss) {
  return ss->magic == (kSuperSlabMagic ^ reinterpret_cast<uintptr_t>(ss));
}
inline SlabMeta* slab_of(SuperSlab* ss, const void* p) {
  return &ss->slabs[(reinterpret_cast<uintptr_t>(p) & kSuperSlabMask) >> kSlabShift];
}
inline SuperSlab* superslab_of_meta(const SlabMeta* m) { return superslab_of(m); }

// A thread's hot per-class cache: a singly linked list of free blocks (next in word 0).
// fill packs two 16-bit fields so one add on the free path counts both: the low half is
// count, the high half counts frees up from kTickStart (tls_cache.h) and carries out when a
// publish is due. Invariants: count == length(head) <= cap; allocations since the last
// publish == base + frees since it - count (so the malloc path counts nothing).
struct ClassCache {
  void* head;
  uint32_t fill;
  uint32_t cap;
  int64_t base;
  uint64_t unused;
};
static_assert(sizeof(ClassCache) == 32);

enum CacheState : uint8_t { kCacheNew = 0, kCacheActive = 1, kCacheTornDown = 2 };

// The thread-local part: everything the fast paths touch. cap is 0 until the thread's heap
// exists and again after teardown, so both states fall into the slow path.
struct ThreadCache {
  ClassCache cls[kNumClasses];
  ThreadHeap* heap;
  uintptr_t tag_secret;   // copy of g_free_secret: one TLS load on the free fast path
  uint32_t moved;         // blocks refilled or flushed since the last publish_all
  uint8_t state;
};

// Slabs a heap owns for one class: the bound slab refills come from, and the others.
struct ClassSlabs {
  SlabMeta* bound;
  SlabMeta* head;   // owned, not bound; slabs that regained free blocks are moved to the front
  SlabMeta* tail;
  uint32_t count;
  uint32_t want;    // blocks the last refill asked for (0: none yet); see refill_want()
};

constexpr unsigned kMaxStash = 32;

// Slow-path state of one thread (or of the global heap that serves torn-down threads).
// Lives in the metadata arena, not in TLS, so it outlives the thread for stats and adoption.
struct ThreadHeap {
  ClassSlabs slabs[kNumClasses];
  SlabMeta* stash[kMaxStash];   // empty slabs kept for this heap (pool stage thread_stash)
  uint32_t stash_count;
  uint32_t carve_next;          // next never-used slab of carve_ss
  SuperSlab* carve_ss;          // SuperSlab this heap took from the OS (stage superslab_carve)
  ThreadHeap* reg_prev;
  ThreadHeap* reg_next;
  ArenaRun local_runs[kLocalRuns];   // freed runs up to kLocalRunMaxBytes, oldest first
  uint32_t local_run_count;
  uint32_t arena_shard;              // 1 + its large arenas' shard; 0 before its first (large.cc)
  // Parked (its thread exited, heap kept whole for the next thread): the cache it had.
  ThreadHeap* park_next;
  uint64_t parked_at_ns;
  ClassCache parked_cache[kNumClasses];
  // Where this heap's counts go: a segment slot it keeps for life, or own_slot when the
  // segment's slots are all taken (added into the retired record when the heap retires).
  hak_seg_slot* slot;
  hak_seg_slot own_slot;
};

}  // namespace hakmem
