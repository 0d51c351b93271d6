// Slab block bookkeeping. All of it is owner-only except the remote list detach, which is a
// single atomic exchange against concurrent pushers.
#include "slab.h"

#include "size_classes.h"

namespace hakmem {

uintptr_t g_free_secret;

void slab_bind(SlabMeta* m, unsigned cls, ThreadHeap* h, bool eager_carve) {
  ClassInfo info = class_info_of(cls);
  SuperSlab* ss = superslab_of_meta(m);
  char* slab_base = reinterpret_cast<char*>(ss) + size_t{m->index} * kSlabSize;
  char* start = m->index == 0 ? reinterpret_cast<char*>(ss) + kSuperSlabHeaderSize : slab_base;
  uint32_t capacity = static_cast<uint32_t>((slab_base + kSlabSize - start) / info.size);
  m->start = start;
  m->divc = info.divc;
  m->obj_size = info.size;
  m->capacity = capacity;
  m->span = capacity * info.size;
  m->cls = static_cast<uint16_t>(cls);
  m->cache_offset = static_cast<uint16_t>(cls * sizeof(ClassCache));
  m->free_list = nullptr;
  m->virgin = start;
  m->limit = start + size_t{capacity} * info.size;
  m->used = 0;
  m->in_owned_list = 0;
  m->prev = m->next = nullptr;
  m->remote_head.store(nullptr, std::memory_order_relaxed);
  m->remote_count.store(0, std::memory_order_relaxed);
  if (eager_carve) {
    for (char* b = m->limit - info.size; b >= start; b -= info.size) {
      set_free_tag(b);
      *reinterpret_cast<void**>(b) = m->free_list;
      m->free_list = b;
    }
    m->virgin = m->limit;
  }
  m->state.store(kSlabOwned, std::memory_order_relaxed);
  // Release: a thread that sees this owner also sees the fields above.
  m->owner.store(h, std::memory_order_release);
}

uint32_t slab_take_local(SlabMeta* m, BlockChain* out, uint32_t n) {
  uint32_t got = 0;
  while (got < n && m->free_list != nullptr) {
    void* b = m->free_list;
    m->free_list = *static_cast<void**>(b);
    out->push(b);
    ++got;
  }
  m->used += got;
  return got;
}

uint32_t slab_drain_remote(SlabMeta* m, BlockChain* out, uint32_t n) {
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

uint32_t slab_carve(SlabMeta* m, BlockChain* out, uint32_t n) {
  uint32_t got = 0;
  while (got < n && m->virgin < m->limit) {
    out->push(m->virgin);
    m->virgin += m->obj_size;
    ++got;
  }
  m->used += got;
  return got;
}

}  // namespace hakmem
