// Moves a class cache's counts into its heap's slot (see thread_counts.h). The slot has one
// writer, the heap's user, so counters are bumped with plain relaxed stores.
#include "telemetry/thread_counts.h"

#include "telemetry/segment.h"
#include "thread_heap.h"

namespace hakmem {

void publish_class(ThreadCache& tc, unsigned cls) {
  ClassCache& cc = tc.cls[cls];
#if HAKMEM_TELEMETRY
  uint32_t count = cache_count(cc);
  uint64_t frees = ((cc.fill >> 16) - (kTickStart >> 16)) & 0xFFFF;
  uint64_t allocs = static_cast<uint64_t>(cc.base + static_cast<int64_t>(frees) - count);
  hak_seg_class_counters& c = tc.heap->slot->classes[cls];
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

}  // namespace hakmem
