// The shared pool: where free slabs and empty SuperSlabs wait between heaps. A heap asks it
// for a slab through the stages of HAK_POOL_STAGES (its own stash, the pool lock's used slabs,
// its carve SuperSlab, then the OS) and gives back slabs whose blocks are all free; empty SuperSlabs
// go back to the OS after the decay (HAKMEM_DECAY_MS). A heap is used by one thread at a time
// (its own, or whoever holds the global heap lock), so its stash needs no lock.
#pragma once
#include <cstddef>
#include <cstdint>

#include "hakmem/stats_names.h"
#include "small/superslab.h"

namespace hakmem {

struct ThreadHeap;

enum PoolStage : unsigned {
#define HAK_X_ENUM(id, name) kStage##id,
  HAK_POOL_STAGES(HAK_X_ENUM)
#undef HAK_X_ENUM
};
// The occupancy gauges' states (process_counts().superslabs).
enum SuperSlabState : unsigned {
#define HAK_X_ENUM(id, name) kSuperSlab##id,
  HAK_SUPERSLAB_STATES(HAK_X_ENUM)
#undef HAK_X_ENUM
};
enum PoolReleaseKind : unsigned {
#define HAK_X_ENUM(id, name) kRelease##id,
  HAK_POOL_RELEASE_KINDS(HAK_X_ENUM)
#undef HAK_X_ENUM
};

// A free slab for h, trying the stages in order; nullptr when the OS refuses memory.
// *stage tells which stage found it.
SlabMeta* pool_acquire(ThreadHeap* h, PoolStage* stage);
// A slab of h whose `used` reached 0 and that is not bound: leaves h (stash or pool).
void heap_release_empty_slab(ThreadHeap* h, SlabMeta* m);
// A slab of h (whose lock the caller holds, not being h's thread: small/reclaim.h) whose
// `used` reached 0 and that left h's lists: to the locked pool, never to h's stash, counted as
// a reclaim besides its slot or superslab_empty.
void pool_release_reclaimed(SlabMeta* m);
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

}  // namespace hakmem
