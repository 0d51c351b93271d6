// Pointer validation for the slow paths.
//
// Double-free confirmation: a free block carries free_tag(b) in word 1 (slab.h). When the
// freeing thread owns the slab, the block must be on its cache list, the slab's free list or
// the remote list; all three are walked (bounded by their sizes). When another thread owns
// it, that thread's lists cannot be walked safely, and the keyed tag alone is the evidence
// (a 2^-64 chance of user data matching); the remote list is still walked, with each link
// checked to lie in the slab before it is followed.
#include "core/block_lookup.h"

#include "base/page_map.h"
#include "small/remote_list.h"
#include "small/slab.h"
#include "small/thread_cache.h"

namespace hakmem {

BlockRef lookup_block(const void* p) {
  BlockRef r;
  auto a = reinterpret_cast<uintptr_t>(p);
  ChunkKind kind = chunk_kind(a);
  if (kind == kChunkNone) {
    r.error = "not allocated by hakmem";
    return r;
  }
  if (kind != kChunkSuperSlab) {
    large_lookup(p, &r.large, &r.error);
    return r;
  }
  SuperSlab* ss = superslab_of(p);
  if (!superslab_header_ok(ss)) {
    r.error = "corrupt slab header";
    return r;
  }
  SlabMeta* m = slab_of(ss, p);
  uint8_t state = m->state.load(std::memory_order_acquire);
  if (state == kSlabFree) {
    r.error = "not allocated by hakmem";
    return r;
  }
  if (state > kSlabOrphan || m->cls >= kNumClasses || m->obj_size == 0) {
    r.error = "corrupt slab header";
    return r;
  }
  if (!slab_is_block_start(m, p)) {
    r.error = "interior pointer";
    return r;
  }
  r.slab = m;
  return r;
}

namespace {

bool in_list(const void* head, const void* p, uint32_t limit, const SlabMeta* bounds) {
  for (const void* b = head; b != nullptr && limit > 0; --limit) {
    if (b == p) return true;
    if (bounds != nullptr && !slab_is_block_start(bounds, b)) return false;
    b = *static_cast<void* const*>(b);
  }
  return false;
}

}  // namespace

bool confirm_double_free(SlabMeta* m, const void* p, const ThreadCache& tc) {
  void* remote = remote_list_top(m, m->remote_head.load(std::memory_order_acquire));
  if (in_list(remote, p, m->capacity, m)) return true;
  if (m->owner.load(std::memory_order_relaxed) != tc.heap || tc.heap == nullptr) return true;
  const ClassCache& cc = tc.cls[m->cls];
  return in_list(cc.head, p, cache_count(cc), nullptr) || in_list(m->free_list, p, m->capacity, nullptr);
}

}  // namespace hakmem
