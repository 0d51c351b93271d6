// Heap-level slow paths shared by refill, flush, free and thread exit: the per-class lists of
// owned slabs, the shared pool, the orphan lists. A heap is used by one thread at a time
// (its own, or whoever holds the global heap lock).
#pragma once
#include "types.h"

namespace hakmem {

enum RefillPath : unsigned {
#define HAK_X_ENUM(id, name) kPath##id,
  HAK_REFILL_PATHS(HAK_X_ENUM)
#undef HAK_X_ENUM
};
enum PoolStage : unsigned {
#define HAK_X_ENUM(id, name) kStage##id,
  HAK_POOL_STAGES(HAK_X_ENUM)
#undef HAK_X_ENUM
};
enum PoolReleaseKind : unsigned {
#define HAK_X_ENUM(id, name) kRelease##id,
  HAK_POOL_RELEASE_KINDS(HAK_X_ENUM)
#undef HAK_X_ENUM
};

// --- owned-slab lists (owner only) ---
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

// A slab of h whose `used` reached 0 and that is not bound: leaves h (stash or pool).
void heap_release_empty_slab(ThreadHeap* h, SlabMeta* m);

// --- shared pool (shared_pool.cc) ---
// A free slab for h, trying the stages in order; nullptr when the OS refuses memory.
// *fresh_path tells which refill path to credit (pool_slab or new_superslab).
SlabMeta* pool_acquire(ThreadHeap* h, unsigned* path);
// Hands an empty, unbound slab back to the locked pool.
void pool_release(SlabMeta* m);
// Returns h's stash and never-carved slabs to the pool (thread exit).
void pool_return_heap_reserve(ThreadHeap* h);
// Unmaps empty SuperSlabs whose decay expired (all of them when force). Returns bytes freed.
size_t pool_release_expired(bool force);
// Unmaps the oldest empty SuperSlabs until at most `keep` remain, decayed or not (a program
// with no helper thread keeps a bounded reserve instead of waiting for its next slow path).
size_t pool_release_beyond(uint64_t keep);
// Cheap check for the slow paths: anything waiting to decay?
bool pool_has_empty();

// --- orphans (orphans.cc) ---
void orphan_push(SlabMeta* m);
SlabMeta* orphan_pop(unsigned cls);
// Adopts every orphan, drains it and releases it if it is empty (malloc_trim).
void orphans_reclaim(ThreadHeap* h);

// --- occupancy gauges (stats.cc) ---
void note_slab_bound(unsigned cls);
void note_slab_unbound(unsigned cls);

}  // namespace hakmem
