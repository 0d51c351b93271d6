// See cache_capacity.h.
#include "small/cache_capacity.h"

#include "base/size_classes.h"
#include "counters/segment_storage.h"
#include "small/heap.h"
#include "support/env_config.h"

namespace hakmem {
namespace {

void count_resize(unsigned direction, unsigned cls) {
  seg_add(process_counts().cache_resizes[direction][cls], 1);
}

}  // namespace

uint32_t base_cache_cap(unsigned cls) {
  const Config& cfg = config();
  uint64_t by_bytes = cfg.tcache_bytes / class_size_of(cls);
  uint64_t cap = by_bytes < cfg.tcache_cap ? by_bytes : cfg.tcache_cap;
  return static_cast<uint32_t>(cap < 2 ? 2 : cap);
}

void reset_cache_caps(ThreadCache& tc) {
  for (unsigned cls = 0; cls < kNumClasses; ++cls) tc.cls[cls].cap = base_cache_cap(cls);
  if (tc.heap == nullptr) return;
  tc.heap->grown_bytes = 0;
  for (ClassSlabs& cs : tc.heap->slabs) cs.ran_empty = cs.grew = 0;
}

void set_cache_caps(ThreadCache& tc) {
  reset_cache_caps(tc);
  for (unsigned cls = 0; cls < kNumClasses; ++cls) {
    // Empty already (a new slot, or a dissolved heap's); made so, should a fork child's copy
    // of a slot hold what its parent did with it after the fork.
    tc.cls[cls].head = nullptr;
    tc.cls[cls].fill &= ~kCountMask;
  }
}

namespace {

// Doubles cls's capacity once, within kMaxCacheCap and the budget. False when it cannot.
bool double_cap(ThreadHeap* h, ClassCache& cc, unsigned cls) {
  uint32_t grown = cc.cap * 2 > kMaxCacheCap ? kMaxCacheCap : cc.cap * 2;
  uint64_t more = uint64_t{grown - cc.cap} * class_size_of(cls);
  if (grown <= cc.cap || h->grown_bytes + more > config().tcache_max_bytes) return false;
  h->grown_bytes += more;
  cc.cap = grown;
  count_resize(kCacheResizeGROW, cls);
  return true;
}

}  // namespace

void grow_cache_cap_to(ThreadCache& tc, unsigned cls, uint32_t blocks) {
  ClassCache& cc = tc.cls[cls];
  while (cc.cap < blocks && double_cap(tc.heap, cc, cls)) {
  }
}

bool adapt_cache_cap(ThreadCache& tc, unsigned cls) {
  ThreadHeap* h = tc.heap;
  ClassSlabs& cs = h->slabs[cls];
  ClassCache& cc = tc.cls[cls];
  uint64_t size = class_size_of(cls);
  uint32_t base = base_cache_cap(cls);
  // A burst of frees that outgrows the doubled capacity too is the same batch coming back.
  bool reused = cs.ran_empty != 0 || cs.grew != 0;
  cs.ran_empty = 0;
  cs.grew = 0;
  if (reused) {
    if (!double_cap(h, cc, cls)) return false;
    cs.grew = 1;
    return true;
  }
  if (cc.cap > base) {
    uint32_t shrunk = cc.cap / 2 < base ? base : cc.cap / 2;
    h->grown_bytes -= uint64_t{cc.cap - shrunk} * size;
    cc.cap = shrunk;
    count_resize(kCacheResizeSHRINK, cls);
  }
  return false;
}

}  // namespace hakmem
