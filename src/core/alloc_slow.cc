// SLOW PATH of malloc and free: thread-cache creation, refill and flush, remote frees, large
// spans, the global heap for threads whose cache is torn down, and bad-pointer reports.
#include <cerrno>

#include "core/block_lookup.h"
#include "core/fast_path.h"
#include "core/init.h"
#include "core/invalid_free.h"
#include "counters/segment_storage.h"
#include "core/release.h"
#include "large/large.h"
#include "os/os.h"
#include "small/refill.h"
#include "small/remote_list.h"
#include "small/thread_heap.h"
#include "sync/background.h"
#include "sync/lock.h"

namespace hakmem {
namespace {

// retry: when the OS refused a mapping, give back what the allocator holds idle (trim_now:
// cached blocks of other classes, cached spans, empty SuperSlabs) and try once more. Not for
// the global heap, whose lock trim_now must not be called under.
void* alloc_small_from(ThreadCache& tc, unsigned cls, bool retry) {
  ClassCache& cc = tc.cls[cls];
  if (cc.head == nullptr) {
    uint64_t refused = os::map_failures();
    bool filled = refill(tc, cls);
    if (!filled && retry && os::map_failures() != refused) {
      trim_now();
      filled = refill(tc, cls);
    }
    if (!filled) {
      errno = ENOMEM;
      return nullptr;
    }
  }
  return cache_pop(cc);
}

// p, a block of m that another heap (or none) owns, goes onto m's remote list, counted as a
// free and a remote free in tc's slot.
void push_remote_counted(ThreadCache& tc, SlabMeta* m, void* p) {
  unsigned cls = m->cls;   // read before the push: after it the slab may change hands
  remote_push(m, p);
#if HAKMEM_TELEMETRY
  hak_seg_class_counters& c = tc.slot->classes[cls];
  seg_bump(c.frees, 1);
  seg_bump(c.remote_frees, 1);
#endif
}

void free_small_in(ThreadCache& tc, SlabMeta* m, void* p) {
  unsigned cls = m->cls;
  ThreadHeap* owner = m->owner.load(std::memory_order_acquire);
  if (owner == tc.heap || (HAKMEM_UNLIKELY(tc.takeover != 0) && take_over_parked_owner(tc, owner))) {
    ClassCache& cc = tc.cls[cls];   // after a takeover, the new heap's
    if (cache_count(cc) >= cc.cap) flush(tc, cls);
    if (cache_push(cc, p, free_tag(p))) frees_wrapped(tc, cc);
    return;
  }
  push_remote_counted(tc, m, p);
}

// The check reads the slab's free list: the heap's lock keeps a reclaim (small/reclaim.h) from
// handing the slab on meanwhile.
bool confirmed_double_free(SlabMeta* m, void* p, const ThreadCache& tc) {
  if (tc.heap == nullptr) return confirm_double_free(m, p, tc);
  HeapGuard g(tc.heap);
  return confirm_double_free(m, p, tc);
}

}  // namespace

void* large_alloc_slow(size_t size, size_t align, bool zero) {
  ensure_initialized();
  // A thread whose first request is large gets its heap here too: its runs come from its own
  // arena shard and its freed ones wait in its heap.
  uint64_t refused = os::map_failures();
  void* p = large_alloc(large_local_for_alloc(), size, align, zero);
  // Only when the kernel refused a mapping and idle memory could make room: a request too big
  // for any address space fails at once, however often a program tries (tst-malloc-too-large).
  if (p == nullptr && os::map_failures() != refused && release_has_idle() && trim_now() != 0) {
    p = large_alloc(large_local_for_alloc(), size, align, zero);
  }
  return p;
}

void free_remote(void* p) {
  ThreadCache& tc = t_cache;
  // Not for a thread without its heap yet (its first call may take over the block's heap; an
  // active cache also means the allocator is initialized), nor within its takeover window
  // (free_small_in): free_slow does those.
  if (tc.state != kCacheActive || tc.takeover != 0) return free_slow(p);
  // A SuperSlab chunk (free_fast checked): the lookup finds a slab or an error, never a run.
  BlockRef r = lookup_block(p);
  if (r.error != nullptr || has_free_tag(p)) return free_slow(p);   // reports, or confirms
  // Acquire: as free_small_in. A slab this heap took over meanwhile is its own: free_slow.
  if (r.slab->owner.load(std::memory_order_acquire) == tc.heap) return free_slow(p);
  push_remote_counted(tc, r.slab, p);
}

void* malloc_slow(size_t size) {
  ensure_initialized();
  background_poll();
  if (size > kMaxSmallSize) return large_alloc_slow(size, kMinAlign);
  unsigned cls = size_to_class(size);
  if (HAKMEM_LIKELY(thread_cache_ready())) return alloc_small_from(t_cache, cls, true);
  LockGuard g(lock_of(kLockGLOBAL_HEAP));
  return alloc_small_from(g_global_cache, cls, false);
}

void free_slow(void* p) {
  if (p == nullptr) return;
  ensure_initialized();
  background_poll();
  BlockRef r = lookup_block(p);
  if (r.error != nullptr) return report_invalid("free", p, r.error);
  if (r.is_large()) {
    if (const char* error = large_free(large_local_for_free(), r.large)) report_invalid("free", p, error);
    return;
  }
  bool own_cache = thread_cache_ready(r.slab->owner.load(std::memory_order_relaxed));
  ThreadCache& tc = own_cache ? t_cache : g_global_cache;
  if (!own_cache) lock_of(kLockGLOBAL_HEAP).lock();
  if (has_free_tag(p) && confirmed_double_free(r.slab, p, tc)) {
    if (!own_cache) lock_of(kLockGLOBAL_HEAP).unlock();
    return report_invalid("free", p, "double free");
  }
  free_small_in(tc, r.slab, p);
  if (!own_cache) lock_of(kLockGLOBAL_HEAP).unlock();
}

}  // namespace hakmem
