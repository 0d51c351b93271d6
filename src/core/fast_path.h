// FAST PATH, the allocator's front: inline in every malloc-family entry (entry.cc, api.cc).
// malloc: class lookup, pop the thread's list (prefetching the next block, thread_cache.h).
// free: page-map check, slab owner check (another heap's block: free_remote), block-boundary
// and free-tag checks, push the thread's list. No locks, atomics with
// ordering, syscalls or shared writes: the owner load is a relaxed read of a line written
// only when the slab changes hands. Everything else is malloc_slow / free_remote / free_slow.
#pragma once
#include <cstddef>
#include <cstdint>

#include "base/hints.h"
#include "base/page_map.h"
#include "base/size_classes.h"
#include "small/slab.h"
#include "small/superslab.h"
#include "small/thread_cache.h"

#ifndef HAKMEM_FREE_TAG_CHECK
#error "HAKMEM_FREE_TAG_CHECK must be defined (0 or 1) by the build: src/CMakeLists.txt"
#endif

namespace hakmem {

[[gnu::cold, gnu::noinline]] void* malloc_slow(size_t size);
[[gnu::cold, gnu::noinline]] void free_slow(void* p);
// free of a block of a SuperSlab whose slab another heap owns (or none): the remote free,
// hot in producer-consumer programs, so not cold like free_slow (whose callees GCC would
// compile for size); anything unusual goes on to free_slow. See alloc_slow.cc.
[[gnu::noinline]] void free_remote(void* p);
// Pushes the remote frees free_remote collected in tc's heap (small/heap.h, RemoteOutbox):
// when the batch is full, at the thread's exit, at malloc_trim.
void remote_outbox_flush(ThreadCache& tc);
// A large block for the calling thread (its heap is created if need be). See large/large.h.
[[gnu::cold]] void* large_alloc_slow(size_t size, size_t align, bool zero = false);

// The double-free check of the fast path: p's word 1 holds its free tag (slow path confirms).
// The unchecked build (HAKMEM_FREE_CHECK=OFF, src/CMakeLists.txt) skips the load of p.
inline bool fast_tag_says_free(const void* p, uintptr_t tag) {
#if HAKMEM_FREE_TAG_CHECK
  return static_cast<const uintptr_t*>(p)[1] == tag;
#else
  (void)p;
  (void)tag;
  return false;
#endif
}

inline void* pop_fast(ClassCache& cc, size_t size) {
  if (HAKMEM_LIKELY(cc.head != nullptr)) return cache_pop(cc);
  return malloc_slow(size);
}

inline void* malloc_fast(size_t size) {
  // Sizes up to 1 KiB first: one compare and one table load to the class cache.
  if (HAKMEM_LIKELY(size <= 1024)) {
    auto* base = reinterpret_cast<char*>(t_cache.cls);
    return pop_fast(*reinterpret_cast<ClassCache*>(base + kSmallClasses.cache_offset[(size + 15) >> 4]), size);
  }
  if (HAKMEM_LIKELY(size <= kMaxSmallSize)) return pop_fast(t_cache.cls[size_to_class_arith(size)], size);
  return malloc_slow(size);
}

inline void free_fast(void* p) {
  auto a = reinterpret_cast<uintptr_t>(p);
  if (HAKMEM_LIKELY(chunk_kind(a) == kChunkSuperSlab)) {
    SlabMeta* m = slab_of(superslab_of(p), p);
    uintptr_t tag = t_cache.tag_secret ^ a;
    if (HAKMEM_UNLIKELY(m->owner.load(std::memory_order_relaxed) != t_cache.heap)) return free_remote(p);
    if (HAKMEM_LIKELY(slab_is_block_start(m, p) && !fast_tag_says_free(p, tag))) {
      auto* base = reinterpret_cast<char*>(t_cache.cls);
      ClassCache& cc = *reinterpret_cast<ClassCache*>(base + m->cache_offset);
      if (HAKMEM_LIKELY(cache_count(cc) < cc.cap)) {
        if (HAKMEM_UNLIKELY(cache_push(cc, p, tag))) frees_wrapped_here(cc);
        return;
      }
    }
  }
  free_slow(p);
}

}  // namespace hakmem
