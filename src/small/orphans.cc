// Slabs whose owner exited while blocks were still live, one list per class under the
// orphans lock. Any thread may push blocks onto an orphan's remote list meanwhile; adoption
// (refill path `adopt`) makes the adopter the owner, and its next drain takes those blocks.
#include "small/orphans.h"

#include "counters/segment_storage.h"
#include "small/remote_list.h"
#include "small/shared_pool.h"
#include "small/slab.h"
#include "small/heap.h"
#include "sync/lock.h"

namespace hakmem {
namespace {

// Heads are written under the orphans lock but peeked without it, so every access is atomic
// (relaxed: the lock orders the list itself).
SlabMeta* g_orphans[kNumClasses];

SlabMeta* head(unsigned cls) { return __atomic_load_n(&g_orphans[cls], __ATOMIC_RELAXED); }
void set_head(unsigned cls, SlabMeta* m) { __atomic_store_n(&g_orphans[cls], m, __ATOMIC_RELAXED); }

}  // namespace

void orphan_push(SlabMeta* m) {
  m->state.store(kSlabOrphan, std::memory_order_relaxed);
  // Release: the adopter sees every owner-side write made before the slab was orphaned.
  m->owner.store(nullptr, std::memory_order_release);
  LockGuard g(lock_of(kLockORPHANS));
  m->prev = nullptr;
  m->next = head(m->cls);
  set_head(m->cls, m);
}

SlabMeta* orphan_pop(unsigned cls) {
  // Unlocked peek: skips the lock in the common case of no orphans.
  if (head(cls) == nullptr) return nullptr;
  LockGuard g(lock_of(kLockORPHANS));
  SlabMeta* m = head(cls);
  if (m != nullptr) {
    set_head(cls, m->next);
    m->next = nullptr;
  }
  return m;
}

void orphans_reclaim(ThreadHeap* h) {
  for (unsigned cls = 0; cls < kNumClasses; ++cls) {
    SlabMeta* list;
    {
      LockGuard g(lock_of(kLockORPHANS));
      list = head(cls);
      set_head(cls, nullptr);
    }
    while (list != nullptr) {
      SlabMeta* m = list;
      list = m->next;
      m->next = nullptr;
      m->owner.store(h, std::memory_order_release);
      m->state.store(kSlabOwned, std::memory_order_relaxed);
      BlockChain none;
      remote_drain(m, &none, 0);
      if (m->used == 0) {
        heap_release_empty_slab(h, m);
      } else {
        owned_push_back(&h->slabs[cls], m);
      }
    }
  }
}

}  // namespace hakmem
