// Every exported malloc-family symbol of libhakmem.so / libhakmem.a, each a one-line forward
// to the hak_* API (the C ABI lives here and nowhere else). glibc extras: mallopt accepts and
// ignores every parameter (HAKMEM is tuned by HAKMEM_* variables) and returns 1; mallinfo2
// and malloc_stats report HAKMEM's own counters; malloc_trim returns empty memory now.
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include "hakmem/hakmem.h"
#include "core/fast_path.h"

#define HAK_EXPORT extern "C" __attribute__((visibility("default")))

// malloc and free inline the fast paths themselves: a call through hak_* would cost a jump.
HAK_EXPORT void* malloc(size_t size) noexcept { return hakmem::malloc_fast(size); }
HAK_EXPORT void free(void* ptr) noexcept { hakmem::free_fast(ptr); }
HAK_EXPORT void* calloc(size_t n, size_t size) noexcept { return hak_calloc(n, size); }
HAK_EXPORT void* realloc(void* ptr, size_t size) noexcept { return hak_realloc(ptr, size); }
HAK_EXPORT void* reallocarray(void* ptr, size_t n, size_t size) noexcept { return hak_reallocarray(ptr, n, size); }
HAK_EXPORT int posix_memalign(void** out, size_t align, size_t size) noexcept { return hak_posix_memalign(out, align, size); }
HAK_EXPORT void* aligned_alloc(size_t align, size_t size) noexcept { return hak_aligned_alloc(align, size); }
HAK_EXPORT void* memalign(size_t align, size_t size) noexcept { return hak_memalign(align, size); }
HAK_EXPORT void* valloc(size_t size) noexcept { return hak_valloc(size); }
HAK_EXPORT void* pvalloc(size_t size) noexcept { return hak_pvalloc(size); }
HAK_EXPORT size_t malloc_usable_size(void* ptr) noexcept { return hak_malloc_usable_size(ptr); }
HAK_EXPORT void free_sized(void* ptr, size_t size) noexcept { hak_free_sized(ptr, size); }
HAK_EXPORT void free_aligned_sized(void* ptr, size_t align, size_t size) noexcept { hak_free_aligned_sized(ptr, align, size); }
HAK_EXPORT int malloc_trim(size_t pad) noexcept { return hak_malloc_trim(pad); }
HAK_EXPORT void malloc_stats() noexcept { hak_malloc_stats(); }
HAK_EXPORT int mallopt(int, int) noexcept { return 1; }

HAK_EXPORT struct mallinfo2 mallinfo2() noexcept {
  struct hak_stats s;
  hak_stats_snapshot(&s);
  struct mallinfo2 mi = {};
  size_t live = s.large_live_bytes;
  for (const auto& c : s.classes) live += c.live_bytes;
  mi.arena = s.mapped_bytes;
  mi.uordblks = live;
  mi.fordblks = s.mapped_bytes > live ? s.mapped_bytes - live : 0;
  mi.hblks = s.large_allocs - s.large_frees;
  mi.hblkhd = s.large_live_bytes;
  return mi;
}

HAK_EXPORT struct mallinfo mallinfo() noexcept {
  struct mallinfo2 m2 = mallinfo2();
  auto clamp = [](size_t v) { return static_cast<int>(v > 0x7fffffff ? 0x7fffffff : v); };
  struct mallinfo mi = {};
  mi.arena = clamp(m2.arena);
  mi.uordblks = clamp(m2.uordblks);
  mi.fordblks = clamp(m2.fordblks);
  mi.hblks = clamp(m2.hblks);
  mi.hblkhd = clamp(m2.hblkhd);
  return mi;
}
