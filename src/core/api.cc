// The hak_* malloc family: argument checks and errno (as glibc documents them), alignment,
// realloc's in-place rules, and the glibc extras. Built on the inline fast paths.
#include <cerrno>
#include <cstring>

#include "base/size_classes.h"
#include "core/block_lookup.h"
#include "core/fast_path.h"
#include "core/init.h"
#include "core/invalid_free.h"
#include "core/release.h"
#include "core/stats.h"
#include "hakmem/hakmem.h"
#include "large/large.h"
#include "small/orphans.h"
#include "small/refill.h"
#include "small/shared_pool.h"
#include "small/thread_heap.h"

using namespace hakmem;

namespace {

bool is_pow2(size_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Smallest class >= size whose block size is a multiple of align (align <= kPageSize, a
// power of two): slab starts are page-aligned, so every block of that class is aligned.
void* aligned_alloc_impl(size_t align, size_t size) {
  if (align <= kMinAlign) return malloc_fast(size);
  if (size <= kMaxSmallSize && align <= kPageSize) {
    size_t want = size > align ? size : align;
    for (unsigned cls = size_to_class(want); cls < kNumClasses; ++cls) {
      if (class_size_of(cls) % align == 0) return malloc_fast(class_size_of(cls));
    }
  }
  return large_alloc_slow(size, align);
}

// Usable size of a live block, or 0 after reporting a bad pointer.
size_t usable_size(void* p, const char* op) {
  BlockRef r = lookup_block(p);
  if (r.error != nullptr) {
    report_invalid(op, p, r.error);
    return 0;
  }
  return r.is_large() ? r.large.usable : r.slab->obj_size;
}

bool fits_in_place(size_t usable, size_t size, bool large) {
  if (size > usable) return false;
  if (large) return size > kMaxSmallSize && size >= usable / 2;
  return size * 2 > usable || usable == kMinAlign;
}

}  // namespace

extern "C" {

void* hak_malloc(size_t size) { return malloc_fast(size); }

void hak_free(void* ptr) { free_fast(ptr); }

void* hak_calloc(size_t count, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(count, size, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  if (total > kMaxSmallSize) return large_alloc_slow(total, kMinAlign, true);
  void* p = malloc_fast(total);
  if (p != nullptr) memset(p, 0, total);
  return p;
}

void* hak_realloc(void* ptr, size_t size) {
  if (ptr == nullptr) return malloc_fast(size);
  if (size == 0) {
    free_fast(ptr);
    return nullptr;
  }
  BlockRef r = lookup_block(ptr);
  if (r.error != nullptr) {
    report_invalid("realloc", ptr, r.error);
    errno = EINVAL;
    return nullptr;
  }
  size_t usable = r.is_large() ? r.large.usable : r.slab->obj_size;
  if (fits_in_place(usable, size, r.is_large())) return ptr;
  // A large block too small or less than half used: resized in place when the arena allows.
  if (r.is_large() && size > kMaxSmallSize && large_resize_in_place(&r.large, size)) return ptr;
  void* fresh = malloc_fast(size);
  if (fresh == nullptr) return nullptr;   // the old block stays valid, as C requires
  memcpy(fresh, ptr, usable < size ? usable : size);
  free_fast(ptr);
  return fresh;
}

void* hak_reallocarray(void* ptr, size_t count, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(count, size, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  return hak_realloc(ptr, total);
}

int hak_posix_memalign(void** out, size_t alignment, size_t size) {
  if (!is_pow2(alignment) || alignment % sizeof(void*) != 0) return EINVAL;
  int saved = errno;
  void* p = aligned_alloc_impl(alignment, size);
  if (p == nullptr) return ENOMEM;
  errno = saved;
  *out = p;
  return 0;
}

void* hak_aligned_alloc(size_t alignment, size_t size) {
  if (!is_pow2(alignment)) {
    errno = EINVAL;
    return nullptr;
  }
  return aligned_alloc_impl(alignment, size);
}

void* hak_memalign(size_t alignment, size_t size) {
  // glibc rounds a non-power-of-two alignment up to the next power of two, and refuses with
  // EINVAL only what has none (above 2^63); 2^63 itself is valid, and no memory: ENOMEM.
  if (alignment > (size_t{1} << 63)) {
    errno = EINVAL;
    return nullptr;
  }
  size_t a = kMinAlign;
  while (a < alignment) a <<= 1;
  return aligned_alloc_impl(a, size);
}

void* hak_valloc(size_t size) { return aligned_alloc_impl(kPageSize, size); }

void* hak_pvalloc(size_t size) {
  size_t rounded = (size + kPageSize - 1) & ~(kPageSize - 1);
  if (rounded < size) {
    errno = ENOMEM;
    return nullptr;
  }
  return aligned_alloc_impl(kPageSize, rounded == 0 ? kPageSize : rounded);
}

size_t hak_malloc_usable_size(void* ptr) {
  return ptr == nullptr ? 0 : usable_size(ptr, "malloc_usable_size");
}

void hak_free_sized(void* ptr, size_t) { free_fast(ptr); }

void hak_free_aligned_sized(void* ptr, size_t, size_t) { free_fast(ptr); }

int hak_malloc_trim(size_t) {
  ensure_initialized();
  return trim_now() != 0 ? 1 : 0;
}

int hak_stats_snapshot(hak_stats* out) {
  if (out == nullptr) return -1;
  ensure_initialized();
  collect_stats(out);
  return 0;
}

int hak_size_to_class(size_t size) {
  return size <= kMaxSmallSize ? static_cast<int>(size_to_class(size)) : -1;
}

size_t hak_class_size(int cls) {
  return cls >= 0 && cls < static_cast<int>(kNumClasses) ? class_size_of(static_cast<unsigned>(cls)) : 0;
}

int hak_owns(const void* ptr) { return chunk_kind(reinterpret_cast<uintptr_t>(ptr)) != kChunkNone; }

}  // extern "C"
