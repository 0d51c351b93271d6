/* HAKMEM's named counters, declared once.
 *
 * Each list is an X-macro: X(identifier, "stable label value"). The allocator expands them
 * into its enums, the stats printer and hak_stats_snapshot() into names, and later the
 * telemetry segment and the daemon's metric labels, so the three cannot drift apart.
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

/* Every lock in the allocator is one of these instrumented locks. Listed outermost first:
 * global_heap may be held while taking any other; the others never nest. fork() takes them
 * in this order. large_cache guards the cache of huge spans (own mappings), large_arena the
 * arenas that hold every other large block. */
#define HAK_LOCKS(X)                 \
  X(GLOBAL_HEAP, "global_heap")      \
  X(POOL, "pool")                    \
  X(ORPHANS, "orphans")              \
  X(LARGE_CACHE, "large_cache")      \
  X(HEAP_REGISTRY, "heap_registry")  \
  X(LARGE_ARENA, "large_arena")

/* Where a heap found a slab for a class: two lock-free stages (its own stash of emptied slabs,
 * then never-used slabs of the SuperSlab it last mapped), then the pool lock (a once-used
 * slab, then a whole empty SuperSlab waiting for its decay), and last a SuperSlab mapped from the OS.
 * thread_stash and the locked stages feed the pool_slab refill path; superslab_carve and
 * new_superslab feed the new_superslab path. */
#define HAK_POOL_STAGES(X)                  \
  X(THREAD_STASH, "thread_stash")           \
  X(SUPERSLAB_CARVE, "superslab_carve")     \
  X(LOCKED_FREE_SLAB, "locked_free_slab")   \
  X(LOCKED_EMPTY_SUPERSLAB, "locked_empty_superslab") \
  X(NEW_SUPERSLAB, "new_superslab")

/* What a release into the shared pool did. */
#define HAK_POOL_RELEASE_KINDS(X)           \
  X(STASH, "stash")                         \
  X(SLOT, "slot")                           \
  X(SUPERSLAB_EMPTY, "superslab_empty")     \
  X(SUPERSLAB_UNMAPPED, "superslab_unmapped")

/* SuperSlab states for the occupancy gauges. */
#define HAK_SUPERSLAB_STATES(X)  \
  X(ACTIVE, "active")            \
  X(EMPTY, "empty")

/* The allocator's own memory syscalls. */
#define HAK_OS_CALLS(X)        \
  X(MMAP, "mmap")              \
  X(MUNMAP, "munmap")          \
  X(MADVISE, "madvise")

#define HAK_X_COUNT(id, name) +1
#define HAK_NUM_PATHS (0 HAK_REFILL_PATHS(HAK_X_COUNT))
#define HAK_NUM_LOCKS (0 HAK_LOCKS(HAK_X_COUNT))
#define HAK_NUM_POOL_STAGES (0 HAK_POOL_STAGES(HAK_X_COUNT))
#define HAK_NUM_POOL_RELEASE_KINDS (0 HAK_POOL_RELEASE_KINDS(HAK_X_COUNT))
#define HAK_NUM_SUPERSLAB_STATES (0 HAK_SUPERSLAB_STATES(HAK_X_COUNT))
#define HAK_NUM_OS_CALLS (0 HAK_OS_CALLS(HAK_X_COUNT))

#endif
