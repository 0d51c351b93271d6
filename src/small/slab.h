// One slab's block bookkeeping, owner side: binding a free slab to a class, taking blocks
// out of it (free list, remote list, virgin tail) and putting blocks back. Every function
// here requires the calling heap to own the slab (or to be about to own it: slab_bind).
#pragma once
#include <cstdint>

#include "base/size_classes.h"
#include "small/superslab.h"

namespace hakmem {

// A chain of blocks gathered for a thread cache (next pointer in word 0). Blocks pushed one
// by one go in front; a list taken whole (append_whole) goes behind them, unwalked, so its
// tail is not known: tail is nullptr then (take_tail walks). Either way the chain ends in
// nullptr.
struct BlockChain {
  void* head = nullptr;
  void* tail = nullptr;
  uint32_t count = 0;

  void push(void* b) {
    *static_cast<void**>(b) = head;
    if (head == nullptr) tail = b;
    head = b;
    ++count;
  }
  // A null-terminated list of n >= 1 blocks joins the end; only while the tail is known.
  bool can_append() const { return head == nullptr || tail != nullptr; }
  void append_whole(void* list, uint32_t n) {
    if (head == nullptr) {
      head = list;
    } else {
      *static_cast<void**>(tail) = list;
    }
    tail = nullptr;
    count += n;
  }
  // The last block (walking the appended list if there is one); the chain is not empty.
  void* take_tail() {
    if (tail == nullptr) {
      tail = head;
      while (*static_cast<void**>(tail) != nullptr) tail = *static_cast<void**>(tail);
    }
    return tail;
  }
};

// Tag written into word 1 of every free block: a free of a block that carries its tag is a
// double free (confirmed on the slow path). Keyed by a per-process secret and the address,
// so user data cannot match it by accident.
extern uintptr_t g_free_secret;
inline uintptr_t free_tag(const void* b) { return g_free_secret ^ reinterpret_cast<uintptr_t>(b); }
inline void set_free_tag(void* b) { static_cast<uintptr_t*>(b)[1] = free_tag(b); }
inline bool has_free_tag(const void* b) {
  return static_cast<const uintptr_t*>(b)[1] == free_tag(b);
}

// Prepares a slab (state kSlabFree) for class cls under owner h.
void slab_bind(SlabMeta* m, unsigned cls, ThreadHeap* h, bool eager_carve);
// Moves up to n blocks from m's local free list into out, or the whole list, unwalked, when it
// holds at most `whole` blocks and out can take a chain (BlockChain::append_whole): its length
// follows from `used` (superslab.h). Returns how many.
uint32_t slab_take_local(SlabMeta* m, BlockChain* out, uint32_t n, uint32_t whole = 0);
// Blocks on m's free list, from the invariant (superslab.h).
inline uint32_t slab_free_count(const SlabMeta* m) {
  return m->capacity - m->used - static_cast<uint32_t>((m->limit - m->virgin) / m->obj_size);
}
// Debug builds (HAKMEM_VALIDATE): the SlabMeta invariant (superslab.h); every free-list entry
// is a block of m.
void validate_slab(const SlabMeta* m);
// Carves up to n never-used blocks into out.
uint32_t slab_carve(SlabMeta* m, BlockChain* out, uint32_t n);
// Returns one block to m's free list (owner side). Caller checks m->used afterwards.
inline void slab_put_local(SlabMeta* m, void* b) {
  *static_cast<void**>(b) = m->free_list;
  m->free_list = b;
  --m->used;
}
inline bool slab_has_free(const SlabMeta* m) {
  return m->free_list != nullptr || m->virgin < m->limit ||
         m->remote_head.load(std::memory_order_relaxed) != 0;
}

// Offset check for block pointers: true when p is the start of a block of m.
inline bool slab_is_block_start(const SlabMeta* m, const void* p) {
  uint64_t off = reinterpret_cast<uintptr_t>(p) - reinterpret_cast<uintptr_t>(m->start);
  return off < m->span && is_multiple(off, m->divc);
}

}  // namespace hakmem
