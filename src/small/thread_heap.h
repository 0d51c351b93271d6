// Thread lifecycle: the TLS cache, its heap, the registry of live heaps, and teardown.
// A thread's cache starts in kCacheNew (cap 0, so every fast path misses); the first slow
// path creates its heap. At thread exit (a pthread key destructor) the cache is flushed, the
// heap's slabs are released or orphaned, its counters retired, and the cache goes to
// kCacheTornDown: later calls from that thread (other TLS destructors) use the global heap
// under its lock.
#pragma once
#include <cstddef>
#include <cstdint>

#include "hakmem/telemetry_abi.h"
#include "large/large.h"
#include "small/superslab.h"
#include "small/thread_cache.h"

namespace hakmem {

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
  LargeLocal large;             // its freed arena runs and arena shard (large/large.h)
  // Parked (its thread exited, heap kept whole for the next thread): the cache it had.
  ThreadHeap* park_next;
  uint64_t parked_at_ns;
  ClassCache parked_cache[kNumClasses];
  // Where this heap's counts go: a segment slot it keeps for life, or own_slot when the
  // segment's slots are all taken (added into the retired record when the heap retires).
  hak_seg_slot* slot;
  hak_seg_slot own_slot;
};

// The per-class lists of owned slabs (owner only).
inline void owned_unlink(ClassSlabs* cs, SlabMeta* m) {
  if (m->prev != nullptr) m->prev->next = m->next; else cs->head = m->next;
  if (m->next != nullptr) m->next->prev = m->prev; else cs->tail = m->prev;
  m->prev = m->next = nullptr;
  m->in_owned_list = 0;
  --cs->count;
}
inline void owned_push_front(ClassSlabs* cs, SlabMeta* m) {
  m->prev = nullptr;
  m->next = cs->head;
  if (cs->head != nullptr) cs->head->prev = m; else cs->tail = m;
  cs->head = m;
  m->in_owned_list = 1;
  ++cs->count;
}
inline void owned_push_back(ClassSlabs* cs, SlabMeta* m) {
  m->next = nullptr;
  m->prev = cs->tail;
  if (cs->tail != nullptr) cs->tail->next = m; else cs->head = m;
  cs->tail = m;
  m->in_owned_list = 1;
  ++cs->count;
}

// Creates the calling thread's heap if its cache is new: `prefer` if it is parked, else the
// newest parked heap, else a new one. A thread whose first call frees a block prefers the
// block's heap, so a worker that inherits its exited predecessor's blocks (a thread pool, or
// Larson's lanes) frees them locally. Returns false when the thread must use the global heap
// (torn down, or no memory for a heap).
// The caller has run ensure_initialized() (core/init.h).
bool thread_cache_ready(const ThreadHeap* prefer = nullptr);
// The calling thread's heap's large-wing state for an allocation (its heap is created if need
// be) or a free (nullptr when it has none); nullptr: the large wing takes its locks.
LargeLocal* large_local_for_alloc();
LargeLocal* large_local_for_free();
// Parked heaps (HAKMEM_PARK_HEAPS): dissolves those parked longer than the decay (all when
// force), so their memory can be reused or returned. Returns how many were dissolved.
size_t release_expired_parked(bool force);
bool parked_heaps_pending();

// At init, after the configuration and the free-tag secret: the thread-exit key and the
// global heap.
void thread_heap_init_globals();

// The registry of live heaps (the global heap included), walked by stats under its lock.
// After fork() the child keeps the forking thread's heap; other threads' heaps stay
// registered (their slabs keep their owners; blocks freed into them go to their remote lists).
void registry_lock();
void registry_unlock();
ThreadHeap* registry_first();

}  // namespace hakmem
