// See remote_list.h.
#include "small/remote_list.h"

#include "small/heap.h"
#include "support/env_config.h"

#include <atomic>

namespace hakmem {
namespace {

// A hint without architectural effect: no fault, no change to memory, a NOP on CPUs without
// CLDEMOTE. So it may follow the push's CAS, after which the block may already be the owner's
// (or its SuperSlab unmapped): the pusher's locked CAS then does not wait behind the demotion.
inline void demote_line(const void* p) {
#if defined(__x86_64__)
  asm volatile("cldemote (%0)" : : "r"(p) : "memory");
#else
  (void)p;
#endif
}

}  // namespace

void remote_push(SlabMeta* m, void* p) {
  set_free_tag(p);
  const uint64_t offset = static_cast<uint64_t>(static_cast<char*>(p) - m->start);
  uint64_t head = m->remote_head.load(std::memory_order_relaxed);
  bool notified = false;
  for (;;) {
    // Before the block is visible (remote_list.h); again if a drain emptied the list meanwhile
    // (the flag on the slab keeps a second notification from pushing it twice).
    if (head == 0 && !notified) {
      remote_notify_owner(m);
      notified = true;
    }
    *static_cast<void**>(p) = remote_list_top(m, head);
    uint64_t next = ((head >> kRemoteCountShift) + 1) << kRemoteCountShift | offset;
    // Release: the owner's drain sees the tag and the next pointer.
    if (m->remote_head.compare_exchange_weak(head, next, std::memory_order_release,
                                             std::memory_order_relaxed)) {
      const uint32_t demote_from = config().remote_demote;
      if (demote_from != 0 && remote_list_count(head) >= demote_from) demote_line(p);
      return;
    }
  }
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
  if (h->ready.top[cls].load(std::memory_order_relaxed) == nullptr) return 0;
  std::atomic<uint32_t>& n = h->ready.collects[cls];
  n.store(n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  remote_ready_pop(h->ready.top[cls], [&](SlabMeta* m) {
    if (ready_slab_of(m, h, cls) && m->in_owned_list != 0 && cs->head != m) {
      owned_unlink(cs, m);
      owned_push_front(cs, m);
      ++moved;
    }
  });
  return moved;
}

uint32_t remote_drain(SlabMeta* m, BlockChain* out, uint32_t n, uint32_t whole) {
  if (m->remote_head.load(std::memory_order_relaxed) == 0) return 0;
  // Acquire pairs with the pushers' release: their writes to the blocks (next, tag) are seen.
  uint64_t head = m->remote_head.exchange(0, std::memory_order_acquire);
  const uint32_t count = remote_list_count(head);
  void* b = remote_list_top(m, head);
  if (count <= whole && out->can_append()) {
    // Blocks on the remote list and in caches both count as used: `used` stays.
    out->append_whole(b, count);
    return count;
  }
  uint32_t taken = 0;
  for (; taken < count && taken < n; ++taken) {
    void* next = *static_cast<void**>(b);
    out->push(b);
    b = next;
  }
  if (taken < count) {
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
  m->used -= count - taken;
  return taken;
}

}  // namespace hakmem
