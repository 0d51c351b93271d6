/* The allocator a stress program exercises, chosen at compile time.
 *
 * Each stress source compiles twice: with STRESS_USE_HAK it calls the hak_* API in-process
 * (linked against hakmem_core, the program's own containers keep using libc), without it the
 * plain malloc family, which libhakmem.so replaces when the binary runs under LD_PRELOAD.
 * Everything a stress program allocates on purpose goes through these functions, so the two
 * flavours differ in this file only. Two checks only the hak flavour can make: alloc_owned(),
 * a block HAKMEM handed out lies in memory HAKMEM manages; alloc_all_freed_error(), once the
 * program has freed everything it allocated, HAKMEM's counters agree (nothing else in the
 * process uses hak_*, so its live bytes must be exactly zero). */
#ifndef HAKMEM_TESTS_STRESS_ALLOC_H
#define HAKMEM_TESTS_STRESS_ALLOC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef STRESS_USE_HAK
#include "hakmem/hakmem.h"
#else
#include <malloc.h>
#endif

namespace stress {

#ifdef STRESS_USE_HAK
inline const char* alloc_flavour() { return "hak"; }
inline void* alloc_malloc(size_t n) { return hak_malloc(n); }
inline void alloc_free(void* p) { hak_free(p); }
inline void* alloc_calloc(size_t count, size_t n) { return hak_calloc(count, n); }
inline void* alloc_realloc(void* p, size_t n) { return hak_realloc(p, n); }
inline int alloc_posix_memalign(void** out, size_t align, size_t n) {
  return hak_posix_memalign(out, align, n);
}
inline void* alloc_aligned_alloc(size_t align, size_t n) { return hak_aligned_alloc(align, n); }
inline size_t alloc_usable_size(void* p) { return hak_malloc_usable_size(p); }
inline bool alloc_owned(const void* p) { return hak_owns(p) == 1; }

// Call after every block is freed and every other thread has exited. created counts the blocks
// the program made (realloc of a live block not included); returns nullptr or what is wrong.
inline const char* alloc_all_freed_error(uint64_t created, char* buf, size_t len) {
  hak_stats s;
  if (hak_stats_snapshot(&s) != 0) return "hak_stats_snapshot failed";
  uint64_t allocs = s.large_allocs, frees = s.large_frees, live = s.large_live_bytes;
  for (const hak_class_stats& c : s.classes) allocs += c.allocs, frees += c.frees, live += c.live_bytes;
  if (live == 0 && allocs == frees && allocs >= created) return nullptr;
  snprintf(buf, len,
           "hak_stats after all frees: live_bytes=%llu allocs=%llu frees=%llu (program created "
           "%llu blocks): counters lost or invented a block",
           (unsigned long long)live, (unsigned long long)allocs, (unsigned long long)frees,
           (unsigned long long)created);
  return buf;
}
#else
inline const char* alloc_flavour() { return "libc"; }
inline void* alloc_malloc(size_t n) { return malloc(n); }
inline void alloc_free(void* p) { free(p); }
inline void* alloc_calloc(size_t count, size_t n) { return calloc(count, n); }
inline void* alloc_realloc(void* p, size_t n) { return realloc(p, n); }
inline int alloc_posix_memalign(void** out, size_t align, size_t n) {
  return posix_memalign(out, align, n);
}
inline void* alloc_aligned_alloc(size_t align, size_t n) { return aligned_alloc(align, n); }
inline size_t alloc_usable_size(void* p) { return malloc_usable_size(p); }
// Under LD_PRELOAD the preload wrapper's summary check proves HAKMEM served the run instead.
inline bool alloc_owned(const void*) { return true; }
inline const char* alloc_all_freed_error(uint64_t, char*, size_t) { return nullptr; }
#endif

}  // namespace stress

#endif
