// Slab block bookkeeping, owner side only (the remote list is remote_list.cc).
#include "small/slab.h"

#include "base/size_classes.h"
#include "counters/resident.h"
#include "support/invariant.h"

namespace hakmem {

uintptr_t g_free_secret;

namespace {

// Counts the pages the carve up to m->virgin reached for the first time since the mapping.
void note_carved(SlabMeta* m) {
  auto base = reinterpret_cast<uintptr_t>(m->start) & ~uintptr_t{kSlabSize - 1};
  auto reached = reinterpret_cast<uintptr_t>(m->virgin) - base;
  if (reached <= m->touched) return;
  size_t grown = pages_reached(base + m->touched, base + reached);
  m->touched += static_cast<uint32_t>(grown);
  resident_grow(grown);
}

}  // namespace

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
  m->cache_offset = static_cast<uint16_t>(cls * kClassCacheBytes);
  m->free_list = nullptr;
  m->virgin = start;
  m->limit = start + size_t{capacity} * info.size;
  m->used = 0;
  m->in_owned_list = 0;
  m->prev = m->next = nullptr;
  m->remote_head.store(0, std::memory_order_relaxed);
  if (eager_carve) {
    for (char* b = m->limit - info.size; b >= start; b -= info.size) {
      set_free_tag(b);
      *reinterpret_cast<void**>(b) = m->free_list;
      m->free_list = b;
    }
    m->virgin = m->limit;
    note_carved(m);
  }
  m->state.store(kSlabOwned, std::memory_order_relaxed);
  // Release: a thread that sees this owner also sees the fields above.
  m->owner.store(h, std::memory_order_release);
}

uint32_t slab_take_local(SlabMeta* m, BlockChain* out, uint32_t n, uint32_t whole) {
  if (m->free_list == nullptr) return 0;
  uint32_t listed = slab_free_count(m);
  if (listed <= whole && out->can_append()) {
    out->append_whole(m->free_list, listed);
    m->free_list = nullptr;
    m->used += listed;
    return listed;
  }
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

uint32_t slab_carve(SlabMeta* m, BlockChain* out, uint32_t n) {
  uint32_t got = 0;
  while (got < n && m->virgin < m->limit) {
    out->push(m->virgin);
    m->virgin += m->obj_size;
    ++got;
  }
  m->used += got;
  note_carved(m);
  return got;
}


void validate_slab(const SlabMeta* m) {
  uint64_t free_blocks = 0;
  for (const void* b = m->free_list; b != nullptr; b = *static_cast<void* const*>(b)) {
    if (!slab_is_block_start(m, b)) invariant_broken("free-list entry outside the slab", b, 0, 0);
    if (++free_blocks > m->capacity) invariant_broken("free list longer than the slab", m, free_blocks, m->capacity);
  }
  uint64_t virgin = static_cast<uint64_t>(m->limit - m->virgin) / m->obj_size;
  uint64_t total = m->used + free_blocks + virgin;
  if (total != m->capacity) invariant_broken("used + free + virgin != capacity", m, total, m->capacity);
}

}  // namespace hakmem
