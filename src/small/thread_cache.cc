// The thread cache's slow-path side: capacities, publishing (see thread_cache.h) and the
// debug validator. The slot has one writer, the heap's user, so counters are bumped with plain
// relaxed stores.
#include "small/thread_cache.h"

#include "base/size_classes.h"
#include "counters/segment_storage.h"
#include "support/env_config.h"
#include "support/invariant.h"

namespace hakmem {

__thread ThreadCache t_cache __attribute__((tls_model("initial-exec")));
ThreadCache g_global_cache;

void set_cache_caps(ThreadCache& tc) {
  const Config& cfg = config();
  for (unsigned cls = 0; cls < kNumClasses; ++cls) {
    uint64_t by_bytes = cfg.tcache_bytes / class_size_of(cls);
    uint64_t cap = by_bytes < cfg.tcache_cap ? by_bytes : cfg.tcache_cap;
    tc.cls[cls].cap = static_cast<uint32_t>(cap < 2 ? 2 : cap);
    cache_reset_counts(tc.cls[cls]);
  }
}

void publish_class(ThreadCache& tc, unsigned cls) {
  ClassCache& cc = tc.cls[cls];
#if HAKMEM_TELEMETRY
  uint32_t count = cache_count(cc);
  uint64_t frees = ((cc.fill >> 16) - (kTickStart >> 16)) & 0xFFFF;
  uint64_t allocs = static_cast<uint64_t>(cc.base + static_cast<int64_t>(frees) - count);
  hak_seg_class_counters& c = tc.slot->classes[cls];
  if (allocs != 0) seg_bump(c.allocs, allocs);
  if (frees != 0) seg_bump(c.frees, frees);
#endif
  cache_reset_counts(cc);
}

void publish_all(ThreadCache& tc) {
  for (unsigned c = 0; c < kNumClasses; ++c) publish_class(tc, c);
  tc.moved = 0;
}

void publish_spent(ThreadCache& tc) { publish_all(tc); }
void publish_spent_here() { publish_all(t_cache); }

void validate_cache(const ClassCache& cc) {
  uint64_t n = 0;
  for (const void* b = cc.head; b != nullptr && n <= cc.cap; b = *static_cast<void* const*>(b)) ++n;
  if (n != cache_count(cc)) invariant_broken("cache count != list length", &cc, n, cache_count(cc));
  if (cache_count(cc) > cc.cap) invariant_broken("cache over capacity", &cc, cache_count(cc), cc.cap);
}

}  // namespace hakmem
