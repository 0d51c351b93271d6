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
#include "support/env_config.h"
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

// A free and a remote free of class cls, counted in tc's slot.
void count_remote_free(ThreadCache& tc, unsigned cls) {
#if HAKMEM_TELEMETRY
  hak_seg_class_counters& c = tc.slot->classes[cls];
  seg_bump(c.frees, 1);
  seg_bump(c.remote_frees, 1);
#else
  (void)tc;
  (void)cls;
#endif
}

// p, a block of m that another heap (or none) owns, goes onto m's remote list, counted.
void push_remote_counted(ThreadCache& tc, SlabMeta* m, void* p) {
  unsigned cls = m->cls;   // read before the push: after it the slab may change hands
  remote_push(m, p);
  count_remote_free(tc, cls);
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
  if (r.error != nullptr) return free_slow(p);   // reports
  const uint32_t batch = config().remote_batch;
  if (batch <= 1) {
    // A tag: a double free, or a word of data that matches one; free_slow confirms. Acquire:
    // as free_small_in. A slab this heap took over meanwhile is its own: free_slow.
    if (has_free_tag(p) || r.slab->owner.load(std::memory_order_acquire) == tc.heap) return free_slow(p);
    return push_remote_counted(tc, r.slab, p);
  }
  // Collected (small/heap.h, RemoteOutbox). Counted now, as every free is when its call
  // returns: the telemetry's counts stay exact.
  count_remote_free(tc, r.slab->cls);
  RemoteOutbox& ob = tc.heap->outbox;
  prefetch_for_write(p);
  ob.blocks[ob.count] = p;
  if (++ob.count >= batch) remote_outbox_flush(tc);
}

void remote_outbox_flush(ThreadCache& tc) {
  if (tc.heap == nullptr) return;
  RemoteOutbox& ob = tc.heap->outbox;
  // The count first: free_slow below never collects, but finds the outbox consistent.
  const uint32_t n = ob.count;
  ob.count = 0;
  for (uint32_t i = 0; i < n; ++i) {
    void* p = ob.blocks[i];
    // A tag: a double free (free_slow confirms and reports it; a word of data that matched
    // the tag is a free counted twice). Otherwise the remote list, even of a slab this heap
    // took over since the free: its own drain takes the block like any other.
    if (HAKMEM_UNLIKELY(has_free_tag(p))) {
      free_slow(p);
    } else {
      remote_push(slab_of(superslab_of(p), p), p);
    }
  }
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
