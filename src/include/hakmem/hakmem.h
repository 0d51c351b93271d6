/* HAKMEM public C API.
 *
 * The hak_* functions are the allocator itself, callable in-process without LD_PRELOAD (tests
 * and programs that link libhakmem.a and keep their own malloc). libhakmem.so additionally
 * exports the standard malloc family, each a forward to the hak_* function of the same name.
 * hak_stats_snapshot() is the internal counters API; the shared-memory segment publishes the
 * same counters to other processes. */
#ifndef HAKMEM_HAKMEM_H
#define HAKMEM_HAKMEM_H

#include <stddef.h>
#include <stdint.h>

#include "hakmem/stats_names.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif


void* hak_malloc(size_t size);
void hak_free(void* ptr);
void* hak_calloc(size_t count, size_t size);
void* hak_realloc(void* ptr, size_t size);
void* hak_reallocarray(void* ptr, size_t count, size_t size);
int hak_posix_memalign(void** out, size_t alignment, size_t size);
void* hak_aligned_alloc(size_t alignment, size_t size);
void* hak_memalign(size_t alignment, size_t size);
void* hak_valloc(size_t size);
void* hak_pvalloc(size_t size);
size_t hak_malloc_usable_size(void* ptr);
void hak_free_sized(void* ptr, size_t size);
void hak_free_aligned_sized(void* ptr, size_t alignment, size_t size);
/* Returns empty SuperSlabs, free large-arena pages and cached large spans to the OS now; 1 if
 * anything was returned. */
int hak_malloc_trim(size_t pad);
/* Writes HAKMEM's summary (the HAKMEM_STATS_PRINT format) to file descriptor fd. */
void hak_print_stats(int fd);
/* malloc_stats: the summary to stderr, then glibc's "Total (incl. mmap):" lines. */
void hak_malloc_stats(void);

/* Size class of a small request, or -1 when it is served as a large span. */
int hak_size_to_class(size_t size);
/* Block size of class cls (0 <= cls < HAK_NUM_CLASSES). */
size_t hak_class_size(int cls);
/* 1 when ptr lies in memory HAKMEM manages (a SuperSlab or a large span), else 0. */
int hak_owns(const void* ptr);

struct hak_class_stats {
  uint64_t size;                            /* block size in bytes */
  uint64_t allocs;                          /* blocks handed out */
  uint64_t frees;                           /* blocks freed, by any thread */
  uint64_t remote_frees;                    /* of those, freed by a thread not owning the slab */
  uint64_t refills[HAK_NUM_PATHS];          /* refills that drew >= 1 object from the path */
  uint64_t refill_objects[HAK_NUM_PATHS];   /* objects the path supplied */
  uint64_t slabs_in_use;                    /* slabs bound to this class now */
  uint64_t live_bytes;                      /* (allocs - frees) * size, plus in a forked child
                                               the blocks live at the fork (its counts are its
                                               own: they start at zero) */
};

struct hak_lock_stats {
  uint64_t acquisitions;
  uint64_t contended;       /* acquisitions that found the lock held */
  uint64_t wait_ns_total;
  uint64_t wait_ns_max;
  uint64_t hold_ns_total;
};

struct hak_stats {
  struct hak_class_stats classes[HAK_NUM_CLASSES];
  uint64_t large_allocs;
  uint64_t large_frees;
  uint64_t large_live_bytes;
  struct hak_lock_stats locks[HAK_NUM_LOCKS];
  uint64_t pool_acquires[HAK_NUM_POOL_STAGES];
  uint64_t pool_releases[HAK_NUM_POOL_RELEASE_KINDS];
  uint64_t superslabs[HAK_NUM_SUPERSLAB_STATES];
  uint64_t mapped_bytes;    /* bytes currently mapped by the allocator */
  uint64_t os_calls[HAK_NUM_OS_CALLS];
  uint64_t os_bytes[HAK_NUM_OS_CALLS];
  uint64_t threads_live;
  uint64_t threads_exited;
};

/* Fills *out with the process-wide counters: every allocation and free any thread made before
 * the call (live, idle and exited threads alike; frees are read before allocations, so they
 * never exceed them). Returns 0, or -1 if out is NULL. */
int hak_stats_snapshot(struct hak_stats* out);

/* Stable label names of the lists in stats_names.h; NULL when the index is out of range. */
const char* hak_path_name(int path);
const char* hak_lock_name(int lock);
const char* hak_pool_stage_name(int stage);
const char* hak_pool_release_kind_name(int kind);
const char* hak_superslab_state_name(int state);
const char* hak_os_call_name(int call);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif
