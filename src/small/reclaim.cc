// See reclaim.h. Lock order: the caller holds its own heap's lock; another heap's is only ever
// try-locked here (HAK_LOCKS), and under it only the pool lock is taken.
#include "small/reclaim.h"

#include <atomic>

#include "small/heap.h"
#include "small/remote_list.h"
#include "small/shared_pool.h"
#include "small/slab.h"
#include "support/env_config.h"

namespace hakmem {
namespace {

std::atomic<ThreadHeap*> g_heaps[kMaxHeaps];
std::atomic<uint32_t> g_heap_count{0};
std::atomic<uint32_t> g_cursor{0};   // where the next scan starts (racy by design: a hint)

// Visits up to kReclaimScan heaps of the table other than self, from the shared cursor on,
// until visit(h) returns true.
template <typename Visit>
void scan_other_heaps(const ThreadHeap* self, Visit visit) {
  uint32_t n = heap_table_size();
  if (n < 2) return;
  uint32_t scan = n < kReclaimScan ? n : kReclaimScan;
  uint32_t start = g_cursor.load(std::memory_order_relaxed);
  g_cursor.store(start + scan, std::memory_order_relaxed);
  for (uint32_t k = 0; k < scan; ++k) {
    ThreadHeap* h = heap_table_at((start + k) % n);
    if (h != self && visit(h)) return;
  }
}

// No block of m in use, in a cache or on its way: a pushed block stays in `used` until a drain
// takes it (superslab.h), and one pushed since the drain shows in remote_head.
bool idle_empty(const SlabMeta* m) {
  return m->used == 0 && m->remote_head.load(std::memory_order_acquire) == 0 &&
         m->ready.load(std::memory_order_acquire) == 0;
}

// h's lock held. Returns the slabs released.
uint32_t reclaim_heap_locked(ThreadHeap* h) {
  uint32_t released = 0;
  for (unsigned cls = 0; cls < kNumClasses; ++cls) {
    ClassSlabs* cs = &h->slabs[cls];
    remote_ready_pop(h->ready.top[cls], [&](SlabMeta* m) {
      if (!ready_slab_of(m, h, cls)) return;
      bool bound = m == cs->bound;
      if (!bound && m->in_owned_list == 0) return;
      BlockChain none;
      remote_drain(m, &none, 0);   // every drained block to the free list
      if (idle_empty(m)) {
        if (bound) {
          cs->bound = nullptr;
        } else {
          owned_unlink(cs, m);
        }
        pool_release_reclaimed(m);
        ++released;
      } else if (!bound && cs->head != m) {
        owned_unlink(cs, m);
        owned_push_front(cs, m);
      }
    });
  }
  return released;
}

// h's lock held, h not the caller's heap: pops h's ready stack of class cls and drains each
// slab on it. Emptied ones go to the pool as a reclaim's would (HAKMEM_RECLAIM, not from a
// parked heap); of the others, the first one at most three quarters in use (or empty) is
// unlinked, made thief's and returned; the other such ones go back on
// the stack, for the next steal (or h's refill), and the rest to the front of h's list, as
// h's own refill would put them.
SlabMeta* steal_from_locked(ThreadHeap* h, ThreadHeap* thief, unsigned cls) {
  ClassSlabs* cs = &h->slabs[cls];
  // What a reclaim would do with an emptied slab: to the pool (not a parked heap's, reclaim.h).
  bool release_empty = config().reclaim != 0 && !h->ready.parked.load(std::memory_order_relaxed);
  SlabMeta* taken = nullptr;
  remote_ready_pop(h->ready.top[cls], [&](SlabMeta* m) {
    if (!ready_slab_of(m, h, cls) || m == cs->bound || m->in_owned_list == 0) return;
    BlockChain none;
    remote_drain(m, &none, 0);
    if (release_empty && idle_empty(m)) {
      owned_unlink(cs, m);
      pool_release_reclaimed(m);
    } else if (m->used <= m->capacity - m->capacity / 4) {
      if (taken == nullptr) {
        owned_unlink(cs, m);
        // Under h's lock: h's next slow path, which takes it, sees the slab is not its own.
        m->owner.store(thief, std::memory_order_release);
        taken = m;
      } else {
        remote_notify_owner(m);   // back on the stack, for the next steal or h's own refill
      }
    } else if (cs->head != m) {
      owned_unlink(cs, m);
      owned_push_front(cs, m);
    }
  });
  return taken;
}

}  // namespace

SlabMeta* steal_slab(ThreadHeap* self, unsigned cls, StealFrom from) {
  SlabMeta* taken = nullptr;
  scan_other_heaps(self, [&](ThreadHeap* h) {
    if (h->ready.top[cls].load(std::memory_order_relaxed) == nullptr) return false;
    if (from == kStealFromIdle && !h->ready.parked.load(std::memory_order_relaxed) &&
        h->ready.idle_mark.load(std::memory_order_relaxed) != kIdleSeen) {
      return false;
    }
    // The heap came for its ready slabs since the last scan: it uses them. A parked heap uses none.
    uint32_t collects = h->ready.collects[cls].load(std::memory_order_relaxed);
    if (h->ready.steal_seen[cls].exchange(collects, std::memory_order_relaxed) != collects &&
        !h->ready.parked.load(std::memory_order_relaxed)) {
      return false;
    }
    if (!h->lock.try_lock()) return false;
    taken = steal_from_locked(h, self, cls);
    h->lock.unlock();
    return taken != nullptr;
  });
  return taken;
}

uint32_t heap_table_add_locked(ThreadHeap* h) {
  uint32_t n = g_heap_count.load(std::memory_order_relaxed);
  if (n == kMaxHeaps) return kHeapUnlisted;
  g_heaps[n].store(h, std::memory_order_release);
  g_heap_count.store(n + 1, std::memory_order_release);
  return n;
}
uint32_t heap_table_size() { return g_heap_count.load(std::memory_order_acquire); }
ThreadHeap* heap_table_at(uint32_t i) { return g_heaps[i].load(std::memory_order_acquire); }

uint32_t reclaim_idle_heaps(const ThreadHeap* self) {
  uint32_t released = 0;
  scan_other_heaps(self, [&](ThreadHeap* h) {
    if (h->ready.parked.load(std::memory_order_relaxed)) return false;
    uint32_t mark = h->ready.idle_mark.load(std::memory_order_relaxed);
    if (mark == 0) return false;
    if (mark == kIdlePushed) {
      // First sighting: a busy heap refills before the next one and clears it.
      h->ready.idle_mark.compare_exchange_strong(mark, kIdleSeen, std::memory_order_relaxed);
      return false;
    }
    if (!h->lock.try_lock()) return false;
    // Before the pops: a push from here on marks it again.
    h->ready.idle_mark.store(0, std::memory_order_relaxed);
    released += reclaim_heap_locked(h);
    h->lock.unlock();
    return false;
  });
  return released;
}

}  // namespace hakmem
