/* The allocator a stress program exercises, chosen at compile time.
 *
 * Each stress source compiles twice: with STRESS_USE_HAK it calls the hak_* API in-process
 * (linked against hakmem_core, the program's own containers keep using libc), without it the
 * plain malloc family, which libhakmem.so replaces when the binary runs under LD_PRELOAD.
 * Everything a stress program allocates on purpose goes through these functions, so the two
 * flavours differ in this file only. alloc_owned() is the one check only the hak flavour can
 * make: a block HAKMEM handed out must lie in memory HAKMEM manages. */
#ifndef HAKMEM_TESTS_STRESS_ALLOC_H
#define HAKMEM_TESTS_STRESS_ALLOC_H

#include <stddef.h>
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
#endif

}  // namespace stress

#endif
