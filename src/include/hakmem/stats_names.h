/* HAKMEM's named counters, declared once.
 *
 * Each list is an X-macro: X(identifier, "stable label value"), except HAK_METRIC_FAMILIES
 * (below). The allocator expands them into its enums, the stats printer and
 * hak_stats_snapshot() into names, the telemetry segment into its array lengths, and the
 * daemon into its metric labels and family names, so they cannot drift apart.
 * A label value is part of the public contract (Prometheus `path`, `lock`, `stage`, `kind`,
 * `state`, `syscall` labels): append new entries, never rename or reorder existing ones. */
#ifndef HAKMEM_STATS_NAMES_H
#define HAKMEM_STATS_NAMES_H

/* Small size classes: 16..128 B in 16 B steps, then four classes per power of two up to
 * 32 KiB (internal fragmentation <= 25 % for requests of 64 B and more). Larger requests
 * are served by page runs of shared arenas, and past 8 MiB by spans mapped for them (with a
 * bounded cache). */
#define HAK_NUM_CLASSES 40
#define HAK_MAX_SMALL_SIZE 32768

/* Refill paths, tried in this order when a thread cache runs empty (DESIGN.md). */
#define HAK_REFILL_PATHS(X)          \
  X(SLAB_LOCAL, "slab_local")        \
  X(REMOTE_DRAIN, "remote_drain")    \
  X(VIRGIN_CARVE, "virgin_carve")    \
  X(PARTIAL_SLAB, "partial_slab")    \
  X(ADOPT, "adopt")                  \
  X(POOL_SLAB, "pool_slab")          \
  X(NEW_SUPERSLAB, "new_superslab")

/* Every lock in the allocator is one of these instrumented locks. Nesting, outermost first:
 * global_heap, then heap, then any one of the others, which never nest. global_heap may be held
 * while taking any other; a heap's lock (one per heap, all counted in the one heap record) is
 * held by the heap's user around its slow paths, which take the others inside it; a heap lock
 * is taken inside another heap's only by a try-lock, which never waits (a refill reclaiming an
 * idle heap's slabs, small/reclaim.cc). fork() takes them in that order: global_heap, every
 * heap's, then the others in list order. heap was appended in ABI minor 6 (labels keep their
 * order), hence its place in the list. large_cache guards the cache of huge spans (own
 * mappings), large_arena the arenas that hold every other large block. */
#define HAK_LOCKS(X)                 \
  X(GLOBAL_HEAP, "global_heap")      \
  X(POOL, "pool")                    \
  X(ORPHANS, "orphans")              \
  X(LARGE_CACHE, "large_cache")      \
  X(HEAP_REGISTRY, "heap_registry")  \
  X(LARGE_ARENA, "large_arena")      \
  X(HEAP, "heap")

/* Where a heap found a slab for a class. Tried in this order (the list keeps its label order):
 * its own stash of emptied slabs (lock-free), then under the pool lock a once-used slab of a
 * partly used SuperSlab and then one of a whole empty SuperSlab waiting for its decay, then a
 * never-used slab of the SuperSlab it last mapped (lock-free), and last a SuperSlab mapped
 * from the OS. Used slabs first, so that empty SuperSlabs can decay back to the OS.
 * thread_stash and the locked stages feed the pool_slab refill path; superslab_carve and
 * new_superslab feed the new_superslab path. */
#define HAK_POOL_STAGES(X)                  \
  X(THREAD_STASH, "thread_stash")           \
  X(SUPERSLAB_CARVE, "superslab_carve")     \
  X(LOCKED_FREE_SLAB, "locked_free_slab")   \
  X(LOCKED_EMPTY_SUPERSLAB, "locked_empty_superslab") \
  X(NEW_SUPERSLAB, "new_superslab")

/* What a release into the shared pool did: stash, slot or superslab_empty (one of the three per
 * slab released), superslab_unmapped (an empty SuperSlab later went back to the OS), reclaim (a
 * slab of an idle heap, emptied by other threads' frees, released by another heap's refill,
 * small/reclaim.cc: counted besides its slot or superslab_empty; appended in ABI minor 6). */
#define HAK_POOL_RELEASE_KINDS(X)           \
  X(STASH, "stash")                         \
  X(SLOT, "slot")                           \
  X(SUPERSLAB_EMPTY, "superslab_empty")     \
  X(SUPERSLAB_UNMAPPED, "superslab_unmapped") \
  X(RECLAIM, "reclaim")

/* What the cache of freed spans above 8 MiB (own mappings, large/span.h) did. hit: a request
 * served from it; miss: a request it had no span big enough for (a span mapped anew, which
 * takes over the biggest cached span's pages by an mremap when there is one, counted with the
 * OS calls); trim: a cached span more than four times too big cut down to the request, its
 * tail unmapped; evict: a freed span
 * unmapped instead of kept, or a cached one unmapped (over the budget, past its decay, or
 * malloc_trim). */
#define HAK_SPAN_CACHE_EVENTS(X) \
  X(HIT, "hit")                  \
  X(MISS, "miss")                \
  X(TRIM, "trim")                \
  X(EVICT, "evict")

/* Capacity changes of a thread cache's class list (small/thread_cache.h). grow: the list
 * filled up and had run empty since it last did, so blocks went to the slabs and came back,
 * or a refill found a slab's list of free blocks longer than the cache's room and took it
 * whole, unwalked (capacity doubled, within HAKMEM_TCACHE_MAX_BYTES); shrink: it filled up
 * again without running empty, so part of it sat unused (capacity halved, not below its
 * start). */
#define HAK_CACHE_RESIZES(X) \
  X(GROW, "grow")            \
  X(SHRINK, "shrink")

/* SuperSlab states for the occupancy gauges. */
#define HAK_SUPERSLAB_STATES(X)  \
  X(ACTIVE, "active")            \
  X(EMPTY, "empty")

/* The allocator's own memory syscalls, every call counted (failed ones too), bytes as asked:
 * mmap the length mapped, munmap and madvise the length given, mremap the growth (0 for the
 * segment's same-size move into place). mremap was appended in ABI minor 2; before, growth in
 * place counted as mmap and the segment's own mappings were not counted. */
#define HAK_OS_CALLS(X)        \
  X(MMAP, "mmap")              \
  X(MUNMAP, "munmap")          \
  X(MADVISE, "madvise")        \
  X(MREMAP, "mremap")

/* The per-process metric families hakmemd serves on /metrics, in the order it serves them:
 * X(identifier, "family name", type, "help text"), the type a token, COUNTER or GAUGE. The
 * daemon generates its family list from this one (names, types and help texts are written
 * nowhere else) and fills each family from the segment; the labels of each are in the README.
 * A family name is public (dashboards query it): append new families, never rename one. */
#define HAK_METRIC_FAMILIES(X)                                                              \
  X(PROCESS_INFO, "hakmem_process_info", GAUGE,                                             \
    "A HAKMEM process whose telemetry segment is exported (value 1)")                       \
  X(CONFIG_INFO, "hakmem_config_info", GAUGE,                                               \
    "An effective HAKMEM_* setting of a process (value 1)")                                 \
  X(ALLOCS, "hakmem_allocs_total", COUNTER, "Allocations served by a size class")           \
  X(FREES, "hakmem_frees_total", COUNTER, "Frees of blocks of a size class")                \
  X(REMOTE_FREES, "hakmem_remote_frees_total", COUNTER,                                     \
    "Frees of a size class by a thread other than the block's owner (included in "          \
    "hakmem_frees_total)")                                                                  \
  X(REFILLS, "hakmem_refills_total", COUNTER,                                               \
    "Thread-cache refills of a size class that drew at least one object from a refill path") \
  X(REFILL_OBJECTS, "hakmem_refill_objects_total", COUNTER,                                 \
    "Objects a refill path supplied to thread caches of a size class")                      \
  X(LOCK_ACQUISITIONS, "hakmem_lock_acquisitions_total", COUNTER,                           \
    "Acquisitions of an allocator lock")                                                    \
  X(LOCK_CONTENDED, "hakmem_lock_contended_total", COUNTER,                                 \
    "Acquisitions of an allocator lock that had to wait")                                   \
  X(LOCK_WAIT, "hakmem_lock_wait_seconds_total", COUNTER,                                   \
    "Time spent waiting for an allocator lock")                                             \
  X(LOCK_HOLD, "hakmem_lock_hold_seconds_total", COUNTER, "Time an allocator lock was held") \
  X(LOCK_WAIT_MAX, "hakmem_lock_wait_seconds_max", GAUGE,                                   \
    "Longest single wait for an allocator lock since the process started")                  \
  X(POOL_ACQUIRES, "hakmem_pool_acquires_total", COUNTER,                                   \
    "Slabs a heap obtained, by shared-pool stage")                                          \
  X(POOL_RELEASES, "hakmem_pool_releases_total", COUNTER,                                   \
    "Releases into the shared pool, by what the release did")                               \
  X(SUPERSLABS, "hakmem_superslabs", GAUGE, "SuperSlabs by state")                          \
  X(SLABS, "hakmem_slabs", GAUGE, "Slabs by size class and state")                          \
  X(MAPPED, "hakmem_mapped_bytes", GAUGE, "Bytes the allocator has mapped from the OS")     \
  X(LIVE, "hakmem_live_bytes", GAUGE,                                                       \
    "Bytes in live blocks, by size class (class=\"large\": arena runs and page spans); "    \
    "block sizes, from the counts")                                                        \
  X(OS_CALLS, "hakmem_os_calls_total", COUNTER, "The allocator's own memory syscalls")      \
  X(OS_BYTES, "hakmem_os_bytes_total", COUNTER,                                             \
    "Bytes passed to the allocator's own memory syscalls")                                  \
  X(LARGE_ALLOCS, "hakmem_large_allocs_total", COUNTER,                                     \
    "Allocations above the largest size class (arena runs and page spans)")                 \
  X(LARGE_FREES, "hakmem_large_frees_total", COUNTER,                                       \
    "Frees of allocations above the largest size class")                                    \
  X(THREADS_STARTED, "hakmem_threads_started_total", COUNTER,                               \
    "Threads that used the allocator")                                                      \
  X(THREADS_EXITED, "hakmem_threads_exited_total", COUNTER,                                 \
    "Threads that used the allocator and exited")                                             \
  X(PROCESS_STOPPED, "hakmem_process_stopped", GAUGE,                                         \
    "1 while the kernel shows the process stopped (a signal or a debugger): its counts are "   \
    "as of the stop")                                                                         \
  X(RESIDENT, "hakmem_resident_bytes", GAUGE,                                                 \
    "Bytes of hakmem_mapped_bytes the allocator has touched and not discarded: at most what "  \
    "its mappings hold in RAM (never-used and MADV_DONTNEED pages excluded)")              \
  X(SPAN_CACHE_EVENTS, "hakmem_span_cache_events_total", COUNTER,                              \
    "What the cache of freed spans above 8 MiB did: hit, miss (a span mapped anew), trim, "    \
    "evict (a cached span unmapped)")                                                         \
  X(SPAN_CACHE_BYTES, "hakmem_span_cache_bytes", GAUGE,                                       \
    "Bytes of freed spans above 8 MiB kept mapped for reuse (part of hakmem_mapped_bytes)")   \
  X(CACHE_RESIZES, "hakmem_thread_cache_resizes_total", COUNTER,                              \
    "Capacity changes of the thread caches of a size class: grow (blocks went to the slabs "   \
    "and came back, or a refill took a longer list whole), shrink (part of the cache sat "    \
    "unused)")                                                                                \
  X(CACHE_CAPACITY, "hakmem_thread_cache_capacity_bytes", GAUGE,                              \
    "Bytes the thread caches of a size class may hold, over live heaps (capacity x block "   \
    "size)")                                                                                  \
  X(PEAK_RESIDENT, "hakmem_peak_resident_bytes", GAUGE,                                       \
    "The highest hakmem_resident_bytes so far (recorded within 1/64 of it)")                  \
  X(PEAK_MAPPED, "hakmem_peak_mapped_bytes", GAUGE,                                           \
    "hakmem_mapped_bytes when hakmem_peak_resident_bytes was recorded")                       \
  X(PEAK_LIVE, "hakmem_peak_live_bytes", GAUGE,                                               \
    "Bytes in live blocks when hakmem_peak_resident_bytes was recorded: the working set the " \
    "peak footprint held")

#define HAK_X_COUNT(id, name) +1
#define HAK_NUM_PATHS (0 HAK_REFILL_PATHS(HAK_X_COUNT))
#define HAK_NUM_LOCKS (0 HAK_LOCKS(HAK_X_COUNT))
#define HAK_NUM_POOL_STAGES (0 HAK_POOL_STAGES(HAK_X_COUNT))
#define HAK_NUM_POOL_RELEASE_KINDS (0 HAK_POOL_RELEASE_KINDS(HAK_X_COUNT))
#define HAK_NUM_SUPERSLAB_STATES (0 HAK_SUPERSLAB_STATES(HAK_X_COUNT))
#define HAK_NUM_OS_CALLS (0 HAK_OS_CALLS(HAK_X_COUNT))
#define HAK_NUM_SPAN_CACHE_EVENTS (0 HAK_SPAN_CACHE_EVENTS(HAK_X_COUNT))
#define HAK_NUM_CACHE_RESIZES (0 HAK_CACHE_RESIZES(HAK_X_COUNT))

#endif
