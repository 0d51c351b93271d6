// SLOW PATH of malloc and free: thread-cache creation, refill and flush, remote frees, large
// spans, the global heap for threads whose cache is torn down, and bad-pointer reports.
#include <cerrno>

#include "background.h"
#include "block_lookup.h"
#include "invalid_free.h"
#include "large.h"
#include "lock.h"
#include "refill.h"
#include "telemetry/segment.h"
#include "tls_cache.h"

namespace hakmem {
namespace {

void* alloc_small_from(ThreadCache& tc, unsigned cls) {
  ClassCache& cc = tc.cls[cls];
  if (cc.head == nullptr && !refill(tc, cls)) {
    errno = ENOMEM;
    return nullptr;
  }
  return cache_pop(cc);
}

// One atomic push onto the owner's remote list. Release: the owner's drain sees the tag.
void push_remote(SlabMeta* m, void* p) {
  set_free_tag(p);
  void* head = m->remote_head.load(std::memory_order_relaxed);
  do {
    *static_cast<void**>(p) = head;
  } while (!m->remote_head.compare_exchange_weak(head, p, std::memory_order_release,
                                                 std::memory_order_relaxed));
  m->remote_count.fetch_add(1, std::memory_order_relaxed);
}

void free_small_in(ThreadCache& tc, SlabMeta* m, void* p) {
  unsigned cls = m->cls;
  ClassCache& cc = tc.cls[cls];
  if (m->owner.load(std::memory_order_acquire) == tc.heap) {
    if (cache_count(cc) >= cc.cap) flush(tc, cls);
    if (cache_push(cc, p, free_tag(p))) publish_spent(tc);
    return;
  }
  push_remote(m, p);
#if HAKMEM_TELEMETRY
  hak_seg_class_counters& c = tc.heap->slot->classes[cls];
  seg_bump(c.frees, 1);
  seg_bump(c.remote_frees, 1);
#endif
}

}  // namespace

void* malloc_slow(size_t size) {
  background_poll();
  if (size > kMaxSmallSize) return large_alloc(size, kMinAlign);
  unsigned cls = size_to_class(size);
  if (HAKMEM_LIKELY(thread_cache_ready())) return alloc_small_from(t_cache, cls);
  LockGuard g(lock_of(kLockGLOBAL_HEAP));
  return alloc_small_from(g_global_cache, cls);
}

void free_slow(void* p) {
  if (p == nullptr) return;
  background_poll();
  BlockRef r = lookup_block(p);
  if (r.error != nullptr) return report_invalid("free", p, r.error);
  if (r.is_large()) {
    if (const char* error = large_free(r.large)) report_invalid("free", p, error);
    return;
  }
  bool own_cache = thread_cache_ready(r.slab->owner.load(std::memory_order_relaxed));
  ThreadCache& tc = own_cache ? t_cache : g_global_cache;
  if (!own_cache) lock_of(kLockGLOBAL_HEAP).lock();
  if (has_free_tag(p) && confirm_double_free(r.slab, p, tc)) {
    if (!own_cache) lock_of(kLockGLOBAL_HEAP).unlock();
    return report_invalid("free", p, "double free");
  }
  free_small_in(tc, r.slab, p);
  if (!own_cache) lock_of(kLockGLOBAL_HEAP).unlock();
}

}  // namespace hakmem
