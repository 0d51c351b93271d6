// See remote_list.h.
#include "small/remote_list.h"

#include "small/heap.h"

#include <atomic>

namespace hakmem {

void remote_push(SlabMeta* m, void* p) {
  set_free_tag(p);
  void* head = m->remote_head.load(std::memory_order_relaxed);
  do {
    *static_cast<void**>(p) = head;
  } while (!m->remote_head.compare_exchange_weak(head, p, std::memory_order_release,
                                                 std::memory_order_relaxed));
  // Before the count: until it is added, `used` keeps this block live, so the slab cannot be
  // released (and its SuperSlab unmapped) while the notification still touches it.
  if (head == nullptr) remote_notify_owner(m);
  m->remote_count.fetch_add(1, std::memory_order_relaxed);
}

void remote_notify_owner(SlabMeta* m) {
  if (m->ready.load(std::memory_order_relaxed) != 0 ||
      m->ready.exchange(1, std::memory_order_acq_rel) != 0) {
    return;
  }
  ThreadHeap* h = m->owner.load(std::memory_order_acquire);
  if (h == nullptr) {
    m->ready.store(0, std::memory_order_release);
    return;
  }
  // cls may be stale if the slab changed hands meanwhile: the popper checks it.
  std::atomic<SlabMeta*>& top = h->ready.top[m->cls % kNumClasses];
  SlabMeta* old = top.load(std::memory_order_relaxed);
  do {
    m->ready_next = old;
  } while (!top.compare_exchange_weak(old, m, std::memory_order_release, std::memory_order_relaxed));
  // Once per drain cycle of a slab, like the push above: tells reclaim scans (reclaim.h).
  if (h->ready.idle_mark.load(std::memory_order_relaxed) == 0) {
    h->ready.idle_mark.store(kIdlePushed, std::memory_order_relaxed);
  }
}

void remote_ready_clear(ThreadHeap* h) {
  for (std::atomic<SlabMeta*>& top : h->ready.top) remote_ready_pop(top, [](SlabMeta*) {});
}

uint32_t remote_ready_collect(ThreadHeap* h, unsigned cls) {
  ClassSlabs* cs = &h->slabs[cls];
  uint32_t moved = 0;
  remote_ready_pop(h->ready.top[cls], [&](SlabMeta* m) {
    if (m->owner.load(std::memory_order_relaxed) == h && m->cls == cls &&
        m->state.load(std::memory_order_relaxed) == kSlabOwned && m->in_owned_list != 0 &&
        cs->head != m) {
      owned_unlink(cs, m);
      owned_push_front(cs, m);
      ++moved;
    }
  });
  return moved;
}

uint32_t remote_drain(SlabMeta* m, BlockChain* out, uint32_t n) {
  // A count can trail its block (see below): drain also when only the count is pending, or
  // `used` would keep a phantom block forever.
  if (m->remote_head.load(std::memory_order_relaxed) == nullptr &&
      m->remote_count.load(std::memory_order_relaxed) == 0) {
    return 0;
  }
  // Acquire pairs with the pushers' release: their writes to the block (next, tag) are seen.
  void* b = m->remote_head.exchange(nullptr, std::memory_order_acquire);
  // Pushers count after their CAS, so this may miss blocks already in the chain (counted at a
  // later drain), or count a block pushed onto the emptied list since the exchange (taken by a
  // later drain, uncounted then). It never counts a block that is not free: while the remote
  // list is empty, `used` only lags high.
  uint32_t drained = m->remote_count.exchange(0, std::memory_order_relaxed);
  uint32_t taken = 0;
  for (; b != nullptr && taken < n; ++taken) {
    void* next = *static_cast<void**>(b);
    out->push(b);
    b = next;
  }
  if (b != nullptr) {
    // The rest joins the free list whole; the refill paths try the free list first, so it is
    // almost always empty here and nothing needs walking.
    if (m->free_list == nullptr) {
      m->free_list = b;
    } else {
      void* tail = b;
      while (*static_cast<void**>(tail) != nullptr) tail = *static_cast<void**>(tail);
      *static_cast<void**>(tail) = m->free_list;
      m->free_list = b;
    }
  }
  m->used = m->used - drained + taken;
  return taken;
}

}  // namespace hakmem
