// How big a thread cache's class list may get. Each class starts at its base capacity
// (HAKMEM_TCACHE_CAP blocks, at most HAKMEM_TCACHE_BYTES). The capacity then follows the
// class's measured reuse, changed only when the list is full (the flush slow path), so the
// fast paths see a capacity like any other and pay nothing:
//   grow:   the list filled up and had run empty (a refill) since it last filled. Its blocks
//           went back to their slabs and came back again: a batch bigger than the cache is
//           allocated and freed in turn. Doubling the capacity keeps that batch in the cache.
//           A burst of frees that fills the grown list again before any refill is the same
//           batch still coming back, and grows it again.
//   shrink: it filled up again without running empty (and without having just grown): part
//           of the list sat unused, so the capacity halves, never below the base.
// A heap's capacities grow by at most HAKMEM_TCACHE_MAX_BYTES in all (counted in
// ThreadHeap::grown_bytes); a class holds at most kMaxCacheCap blocks. Every change is counted
// in the segment (process.cache_resizes) and the capacity itself is the slot's caches[].cap,
// which readers export. Owner only, like the lists.
#pragma once
#include <cstdint>

#include "hakmem/stats_names.h"
#include "small/thread_cache.h"

namespace hakmem {

// In the HAK_CACHE_RESIZES order (the segment's cache_resizes[]).
enum CacheResize : unsigned {
#define HAK_X_ENUM(id, name) kCacheResize##id,
  HAK_CACHE_RESIZES(HAK_X_ENUM)
#undef HAK_X_ENUM
};

// Below the fill field's 16-bit block count, with room for a refill on top.
constexpr uint32_t kMaxCacheCap = 8192;

// The capacity class cls starts at (HAKMEM_TCACHE_CAP / HAKMEM_TCACHE_BYTES, at least 2).
uint32_t base_cache_cap(unsigned cls);
// Empties every class list of tc and sets its capacity to its base. The caches are empty (a new
// or dissolved heap's); their counts, the slot's totals, are kept.
void set_cache_caps(ThreadCache& tc);
// Sets every class of tc back to its base capacity (a new or dissolved heap, malloc_trim).
void reset_cache_caps(ThreadCache& tc);
// The list for cls is full: grows or shrinks its capacity as above. True when the list now
// has room (it grew), so the free in progress needs no flush.
bool adapt_cache_cap(ThreadCache& tc, unsigned cls);
// A refill found a list of free blocks it can take whole (refill.cc) if the list for cls holds
// `blocks`: doubles the capacity until it does, within kMaxCacheCap and the heap's budget
// (counted as grows). The blocks are the heap's either way, in its slab or in its cache, so
// this holds no more memory; the shrink rule above gives the capacity back once the thread's
// own frees fill the list without its running empty.
void grow_cache_cap_to(ThreadCache& tc, unsigned cls, uint32_t blocks);

}  // namespace hakmem
