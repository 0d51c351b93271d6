// The thread cache's slow paths: refill when a class list runs empty, flush when it is full.
// Both run on the thread that owns the cache (or under the global heap lock), and take the
// heap's lock (heap.h) themselves.
#pragma once
#include "hakmem/stats_names.h"
#include "small/thread_cache.h"

namespace hakmem {

enum RefillPath : unsigned {
#define HAK_X_ENUM(id, name) kPath##id,
  HAK_REFILL_PATHS(HAK_X_ENUM)
#undef HAK_X_ENUM
};

// Fills tc's list for cls through the refill paths (DESIGN.md order). Returns false when no
// memory could be had (the list stays empty).
[[gnu::cold, gnu::noinline]] bool refill(ThreadCache& tc, unsigned cls);
// tc's list for cls is full: adapts its capacity (cache_capacity.h), and unless it grew returns
// blocks to the slabs they came from, down to half the capacity.
[[gnu::cold, gnu::noinline]] void flush(ThreadCache& tc, unsigned cls);
// Returns tc's whole list for cls (thread exit, trim); the caller holds tc.heap's lock.
void flush_all_locked(ThreadCache& tc, unsigned cls);

}  // namespace hakmem
