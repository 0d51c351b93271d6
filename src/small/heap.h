// A heap: the slow-path state of one thread (or of the global heap that serves torn-down
// threads), with the per-class lists of the slabs it owns. Only its user touches it: its
// thread, or whoever holds the global heap lock, or whoever dissolves it (thread_heap.h), and
// each of them holds the heap's lock (`lock`, the named lock heap) around every slow path that
// touches its slabs, its lists or its stash (refill, flush, the double-free check, trim,
// dissolve); the malloc and free fast paths touch only the caches, never the lock. Holding the
// lock, another heap's refill may act as the user for a moment (small/reclaim.h).
#pragma once
#include <atomic>
#include <cstdint>

#include "base/constants.h"
#include "hakmem/telemetry_abi.h"
#include "large/large.h"
#include "small/superslab.h"
#include "small/thread_cache.h"
#include "sync/background.h"
#include "sync/lock.h"

namespace hakmem {

// Slabs a heap owns for one class: the bound slab refills come from, and the others.
struct ClassSlabs {
  SlabMeta* bound;
  SlabMeta* head;   // owned, not bound; slabs that regained free blocks are moved to the front
  SlabMeta* tail;
  uint32_t count;
  uint32_t want;    // blocks the last refill asked for (0: none yet); see refill_want()
  uint8_t ran_empty; // the cache's list was refilled since it last filled up (cache_capacity.h)
  uint8_t grew;      // its capacity grew when it last filled up
};

constexpr unsigned kMaxStash = 32;

// Per class, an MPSC stack of the heap's slabs that regained blocks through their remote
// lists (remote_list.h): other threads push, the owner pops it whole at a refill. Its own
// lines, since other threads write it; never cleared by heap_create (a pusher may hold a stale
// owner pointer to a recycled heap: the popper checks each slab is still its own).
// idle_mark: 0, or kIdlePushed once a pusher put a slab on one of the stacks; the heap's refill
// sets it back to 0, and a reclaim scan that finds kIdlePushed makes it kIdleSeen: found so
// again by a later scan, the heap has not refilled since its slabs regained blocks
// (small/reclaim.h).
enum : uint32_t { kIdlePushed = 1, kIdleSeen = 2 };
// parked: the heap is on the parked list (written under the registry lock, thread_heap.cc),
// which reclaim scans skip; here, not cleared by heap_create, since a scan may read it while
// a retired heap is made anew (unlink_parked, every path off the parked list, clears it).
// collects: per class, how many times the heap's refills popped the stack (written by the
// heap's user only, remote_ready_collect); steal_seen: that count as a steal scan last found it
// (reclaim.h), written by the scanners only. Equal at a later scan: the heap has not come for
// its ready slabs of the class since.
struct RemoteReady {
  alignas(64) std::atomic<SlabMeta*> top[kNumClasses];
  std::atomic<uint32_t> idle_mark;
  std::atomic<bool> parked;
  alignas(64) std::atomic<uint32_t> collects[kNumClasses];
  alignas(64) std::atomic<uint32_t> steal_seen[kNumClasses];
};

// The remote frees a heap's user collected before pushing them home (free_remote,
// core/alloc_slow.cc; only with HAKMEM_REMOTE_BATCH >= 2, the throughput profile's): each
// block's line is prefetched for writing when it is freed, and the pushes, a batch later, check
// the tags and find the lines there. Pushed at once, each remote free waits for its miss: the
// tag load reads a line the other core wrote last (batch-free-share T=2 in the machine's slow
// cross-core mode: 30 % of the time on that load). Off by default: a collected block carries no
// tag, so its owner's double free of it, reused before the push, goes unseen. Invariant:
// count < kMaxRemoteBatch between frees; a collected block is still used in its slab (not yet
// freed for the slab), so its slab stays. Empty while the thread may still take over another
// heap (ThreadCache::takeover), and whenever the heap is parked or dissolved: its thread's
// exit pushes the rest.
constexpr unsigned kMaxRemoteBatch = 64;
struct RemoteOutbox {
  uint32_t count;
  void* blocks[kMaxRemoteBatch];
};

// Slow-path state of one thread (or of the global heap that serves torn-down threads).
// Lives in the metadata arena, not in TLS, so it outlives the thread for stats and adoption.
struct ThreadHeap {
  RemoteReady ready;            // first, then the lock: heap_create zeroes everything after them
  alignas(64) Lock lock;        // the slow paths' (see above); its own line, as reclaims try it
  uint32_t index;               // in the table of every heap ever made (reclaim.h)
  alignas(64) RemoteOutbox outbox;   // its user's only, without the lock (free_remote)
  alignas(64) ClassSlabs slabs[kNumClasses];
  SlabMeta* stash[kMaxStash];   // empty slabs kept for this heap (pool stage thread_stash)
  uint32_t stash_count;
  uint64_t grown_bytes;         // the caches' capacity beyond their base (cache_capacity.h)
  uint32_t carve_next;          // next never-used slab of carve_ss
  SuperSlab* carve_ss;          // SuperSlab this heap took from the OS (stage superslab_carve)
  ThreadHeap* reg_prev;
  ThreadHeap* reg_next;
  LargeLocal large;             // its freed arena runs and arena shard (large/large.h)
  // Parked (its thread exited, heap kept whole for the next thread): a private copy of its
  // caches, for a fork child.
  ThreadHeap* park_next;
  uint64_t parked_at_ns;
  ClassCache parked_cache[kNumClasses];
  // Where this heap's counts go: a segment slot it keeps for life, or own_slot when the
  // segment's slots are all taken (added into the retired record when the heap retires).
  hak_seg_slot* slot;
  hak_seg_slot own_slot;
};

// The heap's lock held for a slow path: also a section in which no helper thread is started
// (sync/background.h), since starting one allocates, which would take this lock again.
class HeapGuard {
 public:
  explicit HeapGuard(ThreadHeap* h) : h_(h) {
    background_defer_begin();
    h_->lock.lock();
  }
  ~HeapGuard() {
    h_->lock.unlock();
    background_defer_end();
  }
  HeapGuard(const HeapGuard&) = delete;
  HeapGuard& operator=(const HeapGuard&) = delete;

 private:
  ThreadHeap* h_;
};

// The heap's class caches: in its slot, where readers see them (thread_cache.h).
inline ClassCache* caches_of(ThreadHeap* h) { return reinterpret_cast<ClassCache*>(h->slot->caches); }

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

}  // namespace hakmem
