// The thread cache's slow-path side: capacities, the frees field's carry (see thread_cache.h)
// and the debug validator.
#include "small/thread_cache.h"


#include "base/size_classes.h"
#include "counters/segment_storage.h"
#include "support/env_config.h"
#include "support/invariant.h"

namespace hakmem {

ClassCache g_no_caches[kNumClasses];
__thread ThreadCache t_cache __attribute__((tls_model("initial-exec")));
ThreadCache g_global_cache;


void frees_wrapped(ThreadCache& tc, ClassCache& cc) {
#if HAKMEM_TELEMETRY
  auto cls = static_cast<unsigned>(&cc - tc.cls);
  seg_bump(tc.slot->classes[cls].frees, uint64_t{1} << (64 - kFreesShift));
#else
  (void)tc;
  (void)cc;
#endif
}

void frees_wrapped_here(ClassCache& cc) { frees_wrapped(t_cache, cc); }

void validate_cache(const ClassCache& cc) {
  uint64_t n = 0;
  for (const void* b = cc.head; b != nullptr && n <= cc.cap; b = *static_cast<void* const*>(b)) ++n;
  if (n != cache_count(cc)) invariant_broken("cache count != list length", &cc, n, cache_count(cc));
  if (cache_count(cc) > cc.cap) invariant_broken("cache over capacity", &cc, cache_count(cc), cc.cap);
}

}  // namespace hakmem
