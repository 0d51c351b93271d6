/* The telemetry segment: the versioned, C-compatible layout a HAKMEM process publishes in
 * <dir>/hakmem.<pid> (dir: HAKMEM_STATS_DIR, default /dev/shm) and readers (hakmemctl,
 * hakmemd) read from outside the process.
 *
 * Shape: a header, then sections. The header's section table gives each section's offset,
 * record count and record stride; a reader locates everything through it and checks it first.
 *
 * Compatibility rules:
 *  - major version: a reader refuses any major version it does not know.
 *  - minor version: records only grow at their end (stride grows), sections only gain records
 *    at their end, and new sections take new table slots. A reader reads the fields it knows
 *    (min(stride, its own size)) and ignores the rest; fields it expects beyond a record's
 *    stride read as absent.
 *  - arrays inside records (per path, lock, pool stage, state, OS call, class) are as long as
 *    the header's num_* fields say: a newer minor may append entries to a list below, which
 *    moves the fields after that array. Readers compute offsets from the num_* fields and take
 *    the entries they know.
 *  - an all-zero header is a segment being created (the file exists before it is published):
 *    readers report it as not published yet, not as damaged.
 *
 * Concurrency: every counter is a little-endian uint64_t updated with relaxed atomic stores,
 * so each counter on its own never goes backwards. Per-thread counters live in slots: a heap
 * (a thread's, a parked one, the global heap) keeps its slot for life and heaps are reused by
 * later threads, so a slot holds the counts of every thread that used it; record 0 holds those
 * of heaps that had no slot. Slots are claimed in order and a free one was never claimed, so
 * it is all zero. A reader sums every record of the SLOTS section not in state FREE and gets
 * monotonic totals that include every allocation and free made before the read (minor 3: see
 * hak_seg_cache; before it, a thread's last operations showed at its next refill, flush or
 * exit). `generation` goes up by 2 whenever a slot is claimed; a
 * reader that sees it odd or changed across its read re-reads (odd is reserved for writers
 * that will need multi-field updates). The segment is untrusted input for a reader: it may be
 * truncated or scribbled on at any moment.
 *
 * Every counter is declared once, in the HAK_SEG_* lists below (X-macros): they generate the
 * record fields here, the writer's field accesses and the readers' names. */
#ifndef HAKMEM_TELEMETRY_ABI_H
#define HAKMEM_TELEMETRY_ABI_H

#include <stdint.h>

#include "hakmem/stats_names.h"

#define HAK_SEG_MAGIC 0x474553504d4b4148ull /* "HAKMPSEG" little-endian */
#define HAK_SEG_ABI_MAJOR 1
#define HAK_SEG_ABI_MINOR 6 /* 1: lock large_arena appended to HAK_LOCKS; 2: OS call mremap
                              appended to HAK_OS_CALLS, the segment's own mappings counted;
                              3: slot.caches, the live class caches (see hak_seg_cache); a
                              setting's source and whole value, every setting recorded;
                              4: process.resident_bytes and inherited_blocks, a forked
                              child's counts its own; 5: process.span_cache_bytes,
                              span_cache_events and cache_resizes, and slot.caches[].cap
                              is for readers too; 6: process.peak_resident_bytes,
                              peak_mapped_bytes and peak_live_bytes, lock heap appended to
                              HAK_LOCKS (every heap's lock in one record) and pool release
                              kind reclaim to HAK_POOL_RELEASE_KINDS */
/* HAK_NUM_OS_CALLS of minor 0 and 1 segments, which readers still accept (mremap absent). */
#define HAK_SEG_OS_CALLS_MINOR1 3
/* The first minor whose slots hold caches[]; older ones published counts in batches. */
#define HAK_SEG_CACHES_MINOR 3
/* The first minor whose process record ends in resident_bytes, then inherited_blocks[]. */
#define HAK_SEG_RESIDENT_MINOR 4
/* The first minor whose process record ends in span_cache_bytes, span_cache_events[] and
 * cache_resizes[][], and whose caches[].cap readers may export. */
#define HAK_SEG_CACHES_GROW_MINOR 5
/* The first minor whose process record ends in peak_resident_bytes, peak_mapped_bytes and
 * peak_live_bytes. */
#define HAK_SEG_PEAK_MINOR 6
/* HAK_NUM_LOCKS and HAK_NUM_POOL_RELEASE_KINDS of minor 1 to 5 segments, which readers still
 * accept (lock heap and release kind reclaim absent). */
#define HAK_SEG_LOCKS_MINOR5 6
#define HAK_SEG_POOL_RELEASE_KINDS_MINOR5 4
#define HAK_SEG_FILE_PREFIX "hakmem."
#define HAK_SEG_DEFAULT_DIR "/dev/shm"

/* Bounds a reader may rely on for any major-1 segment (hostile values beyond are rejected). */
#define HAK_SEG_MAX_SIZE (64u << 20)
#define HAK_SEG_MAX_SECTIONS 16
#define HAK_SEG_MAX_RECORDS 65536
#define HAK_SEG_MAX_STRIDE 65536

/* Section table slots. Their order is part of the ABI. */
#define HAK_SEG_SECTIONS(X)                                                           \
  X(SETTINGS, "settings")   /* hak_seg_setting: the effective HAKMEM_* configuration */ \
  X(CLASSES, "classes")     /* hak_seg_class_info: per size class, static */            \
  X(PROCESS, "process")     /* one hak_seg_process: process-wide counters and gauges */ \
  X(LOCKS, "locks")         /* hak_seg_lock, one per HAK_LOCKS entry, in that order */  \
  X(SLOTS, "slots")         /* hak_seg_slot: record 0 retired threads, then one per heap */

/* Per class, in each slot. */
#define HAK_SEG_CLASS_COUNTERS(X) \
  X(allocs)                       \
  X(frees)                        \
  X(remote_frees)

/* Per lock name. A name may stand for several lock instances (large_arena: one per arena
 * shard); its record then sums them, and wait_ns_max is the largest over all of them. */
#define HAK_SEG_LOCK_COUNTERS(X) \
  X(acquisitions)                \
  X(contended)                   \
  X(wait_ns_total)               \
  X(wait_ns_max)                 \
  X(hold_ns_total)

/* Process-wide scalars (gauges are marked in the name where it matters). */
#define HAK_SEG_PROCESS_SCALARS(X) \
  X(mapped_bytes)                  \
  X(large_allocs)                  \
  X(large_frees)                   \
  X(large_live_bytes)              \
  X(threads_started)               \
  X(threads_exited)

#define HAK_SEG_FIELD(name) uint64_t name;

enum hak_seg_section_id {
#define HAK_SEG_X_ENUM(id, name) HAK_SEG_SEC_##id,
  HAK_SEG_SECTIONS(HAK_SEG_X_ENUM)
#undef HAK_SEG_X_ENUM
  HAK_SEG_NUM_SECTIONS
};

struct hak_seg_section {
  uint64_t offset; /* from the start of the segment */
  uint32_t count;  /* records */
  uint32_t stride; /* bytes per record, >= the record size the writer's minor version defines */
};

/* header.flags */
#define HAK_SEG_FLAG_ACTIVE 1u    /* set once the segment is complete and published */
#define HAK_SEG_FLAG_ABANDONED 2u /* the process is exiting or replaced its image */

struct hak_seg_header {
  uint64_t magic;
  uint16_t abi_major;
  uint16_t abi_minor;
  uint32_t header_size;      /* sizeof(struct hak_seg_header) of the writer */
  uint64_t segment_size;     /* bytes the writer reserved; the file is at least this long */
  int32_t pid;
  uint32_t flags;
  uint64_t start_time_ticks; /* field 22 of /proc/<pid>/stat: detects PID reuse */
  uint64_t created_ns;       /* CLOCK_REALTIME when the segment was created */
  uint64_t update_ns;        /* CLOCK_REALTIME of the last slot claim or retirement */
  uint64_t generation;       /* odd while a slot is being retired (see above) */
  char comm[16];             /* NUL-terminated, from /proc/self/comm at creation */
  uint32_t num_classes;      /* HAK_NUM_CLASSES of the writer */
  uint32_t num_paths;        /* entries of refills[] and refill_objects[] in a class record */
  uint32_t num_locks;
  uint32_t num_pool_stages;
  uint32_t num_pool_release_kinds;
  uint32_t num_superslab_states;
  uint32_t num_os_calls;
  uint32_t num_sections;     /* valid entries of sections[] */
  struct hak_seg_section sections[HAK_SEG_MAX_SECTIONS];
};

/* Where a setting's effective value came from (hak_seg_setting.source). Its order is part of
 * the ABI; the names are the `source` label of hakmem_config_info. */
#define HAK_SEG_SETTING_SOURCES(X)                                            \
  X(DEFAULT, "default") /* the option's default */                            \
  X(PROFILE, "profile") /* HAKMEM_PROFILE's value for it */                   \
  X(ENV, "env")         /* the variable, set in the environment */            \
  X(LIVE, "live")       /* reserved: changed while the process runs */

enum hak_seg_setting_source {
#define HAK_SEG_X_ENUM(id, name) HAK_SEG_SOURCE_##id,
  HAK_SEG_SETTING_SOURCES(HAK_SEG_X_ENUM)
#undef HAK_SEG_X_ENUM
  HAK_SEG_NUM_SOURCES
};

/* Bytes of full_value: every value a setting accepts fits, with its NUL. */
#define HAK_SEG_SETTING_VALUE_MAX 256
/* The record of minor 0 to 2: name and value only (value cut at 207 bytes). */
#define HAK_SEG_SETTING_MINOR0_SIZE 256
/* The first minor with source and full_value; and the section holds every setting. */
#define HAK_SEG_SETTING_SOURCE_MINOR 3

/* One HAKMEM_* setting as the process uses it (after validation), NUL-terminated strings. */
struct hak_seg_setting {
  char name[48];
  char value[208];  /* the value, cut at 207 bytes: what readers of minor 0 to 2 take */
  uint32_t source;  /* minor 3: enum hak_seg_setting_source */
  uint32_t reserved;
  char full_value[HAK_SEG_SETTING_VALUE_MAX]; /* minor 3: the whole value */
};

struct hak_seg_class_info {
  uint64_t size; /* block size in bytes */
};

struct hak_seg_lock {
  HAK_SEG_LOCK_COUNTERS(HAK_SEG_FIELD)
};

struct hak_seg_process {
  HAK_SEG_PROCESS_SCALARS(HAK_SEG_FIELD)
  uint64_t pool_acquires[HAK_NUM_POOL_STAGES];
  uint64_t pool_releases[HAK_NUM_POOL_RELEASE_KINDS];
  uint64_t superslabs[HAK_NUM_SUPERSLAB_STATES]; /* gauges */
  uint64_t os_calls[HAK_NUM_OS_CALLS];
  uint64_t os_bytes[HAK_NUM_OS_CALLS];
  uint64_t slabs_in_use[HAK_NUM_CLASSES]; /* gauges: slabs bound to a class now */
  /* minor 4, a gauge: the part of mapped_bytes the allocator has written or handed out and
   * not discarded since, so at most what its mappings hold in RAM. Pages it never touched
   * (the unused tail of a SuperSlab's slabs, an arena's never-used runs) and pages it gave
   * back with MADV_DONTNEED are not in it. Counted per page: a SuperSlab's header and each
   * slab up to the end of its highest block ever carved; an arena's header and its dirty
   * pages (live runs are all dirty); a large span and the heaps' metadata chunks as far as
   * they are used. An upper bound: a live block's pages the program never wrote count too. */
  uint64_t resident_bytes;
  /* minor 4, gauges: small blocks of each class live when this process was forked, which its
   * parent allocated. A forked child's counters start at zero, so that they count its own
   * operations (and a sum over processes counts each operation once); its live blocks of
   * class c are inherited_blocks[c] + allocs - frees. 0 in a process that was not forked. */
  uint64_t inherited_blocks[HAK_NUM_CLASSES];
  /* minor 5, a gauge: bytes of freed spans above 8 MiB the span cache keeps mapped (they are
   * in mapped_bytes and, as far as their pages were touched, in resident_bytes). */
  uint64_t span_cache_bytes;
  /* minor 5: per HAK_SPAN_CACHE_EVENTS entry, what the span cache did. */
  uint64_t span_cache_events[HAK_NUM_SPAN_CACHE_EVENTS];
  /* minor 5: per HAK_CACHE_RESIZES entry and class, thread-cache capacity changes. */
  uint64_t cache_resizes[HAK_NUM_CACHE_RESIZES][HAK_NUM_CLASSES];
  /* minor 6, gauges: the footprint when resident_bytes last reached a new high (recorded each
   * time it rises 1/64 above the last record, and at least 64 KiB): resident_bytes and
   * mapped_bytes then, and the bytes in live blocks then (small blocks at their class size,
   * from the slots' counts, plus large_live_bytes). Bytes held per live byte at the peak is
   * what memory the allocator needed for the program's largest working set. Written in this
   * order, peak_resident_bytes last (release): a reader that sees it has the other two of
   * the same record or a later one. 0 until resident_bytes first reaches 64 KiB. */
  uint64_t peak_resident_bytes;
  uint64_t peak_mapped_bytes;
  uint64_t peak_live_bytes;
};

struct hak_seg_class_counters {
  HAK_SEG_CLASS_COUNTERS(HAK_SEG_FIELD)
  uint64_t refills[HAK_NUM_PATHS];        /* refills that drew >= 1 object from the path */
  uint64_t refill_objects[HAK_NUM_PATHS]; /* objects the path supplied */
};

/* slot.state */
#define HAK_SEG_SLOT_FREE 0u    /* never claimed: all zero */
#define HAK_SEG_SLOT_LIVE 1u    /* claimed by a heap, which keeps it while the process lives */
#define HAK_SEG_SLOT_RETIRED 2u /* record 0 only: heaps without a slot that are gone */

/* One class cache of the heap that uses the slot: the list the malloc and free fast paths pop
 * and push, and their counts. It lives here, not in the thread, so that what a reader sums
 * includes every operation made before the read, with no publishing step: a slot's totals for
 * class c are
 *   allocs = classes[c].allocs + caches[c].allocs
 *   frees  = classes[c].frees  + (caches[c].fill >> 16)
 * fill packs the cached block count (bits 0-15) with the frees counted here (bits 16-63), so
 * the free fast path counts both with one add. When the 48-bit frees field wraps, the writer
 * adds 2^48 to classes[c].frees a few instructions later. Each field has one writer (the
 * heap's user) and is stored whole, so each sum never goes backwards on its own; frees of
 * blocks other slots allocated are counted at once in classes[c].frees. A reader that wants
 * frees <= allocs across slots reads every slot's frees before any slot's allocs. */
#define HAK_SEG_CACHE_FREES_SHIFT 16 /* fill >> this: the frees counted in a cache */

struct hak_seg_cache {
  uint64_t list;   /* the writer's own: its list head (an address in the writer) */
  uint64_t fill;   /* bits 0-15: blocks in the list; bits 16-63: frees counted here */
  uint64_t allocs; /* allocations counted here */
  uint32_t cap;    /* the list's capacity in blocks (readers from minor 5: it changes) */
  uint32_t spare;
};

/* Where caches[] starts in a slot whose class records are class_record bytes each: the first
 * multiple of 64 after them, so a heap's caches share no cache line with another's. */
#define HAK_SEG_SLOT_CACHES_AT(num_classes, class_record) \
  (((16 + (uint64_t)(num_classes) * (class_record)) + 63) & ~(uint64_t)63)

struct hak_seg_slot {
  uint32_t state;
  int32_t tid; /* the thread that last took the slot's heap; 0 for the global heap, record 0 */
  uint64_t reserved;
  struct hak_seg_class_counters classes[HAK_NUM_CLASSES];
  unsigned char caches_pad[HAK_SEG_SLOT_CACHES_AT(HAK_NUM_CLASSES, 8 * (3 + 2 * HAK_NUM_PATHS)) -
                           16 - HAK_NUM_CLASSES * 8 * (3 + 2 * HAK_NUM_PATHS)];
  struct hak_seg_cache caches[HAK_NUM_CLASSES]; /* minor 3 */
};

#undef HAK_SEG_FIELD

#ifdef __cplusplus
#define HAK_SEG_AT(type, field, off) static_assert(__builtin_offsetof(type, field) == (off), "ABI")
#else
#define HAK_SEG_AT(type, field, off) \
  _Static_assert(__builtin_offsetof(type, field) == (off), "ABI")
#endif
HAK_SEG_AT(struct hak_seg_section, offset, 0);
HAK_SEG_AT(struct hak_seg_section, count, 8);
HAK_SEG_AT(struct hak_seg_section, stride, 12);
HAK_SEG_AT(struct hak_seg_header, magic, 0);
HAK_SEG_AT(struct hak_seg_header, abi_major, 8);
HAK_SEG_AT(struct hak_seg_header, abi_minor, 10);
HAK_SEG_AT(struct hak_seg_header, header_size, 12);
HAK_SEG_AT(struct hak_seg_header, segment_size, 16);
HAK_SEG_AT(struct hak_seg_header, pid, 24);
HAK_SEG_AT(struct hak_seg_header, flags, 28);
HAK_SEG_AT(struct hak_seg_header, start_time_ticks, 32);
HAK_SEG_AT(struct hak_seg_header, created_ns, 40);
HAK_SEG_AT(struct hak_seg_header, update_ns, 48);
HAK_SEG_AT(struct hak_seg_header, generation, 56);
HAK_SEG_AT(struct hak_seg_header, comm, 64);
HAK_SEG_AT(struct hak_seg_header, num_classes, 80);
HAK_SEG_AT(struct hak_seg_header, num_paths, 84);
HAK_SEG_AT(struct hak_seg_header, num_locks, 88);
HAK_SEG_AT(struct hak_seg_header, num_pool_stages, 92);
HAK_SEG_AT(struct hak_seg_header, num_pool_release_kinds, 96);
HAK_SEG_AT(struct hak_seg_header, num_superslab_states, 100);
HAK_SEG_AT(struct hak_seg_header, num_os_calls, 104);
HAK_SEG_AT(struct hak_seg_header, num_sections, 108);
HAK_SEG_AT(struct hak_seg_header, sections, 112);
HAK_SEG_AT(struct hak_seg_setting, value, 48);
HAK_SEG_AT(struct hak_seg_setting, source, 256);
HAK_SEG_AT(struct hak_seg_setting, full_value, 264);
HAK_SEG_AT(struct hak_seg_lock, acquisitions, 0);
HAK_SEG_AT(struct hak_seg_lock, contended, 8);
HAK_SEG_AT(struct hak_seg_lock, wait_ns_total, 16);
HAK_SEG_AT(struct hak_seg_lock, wait_ns_max, 24);
HAK_SEG_AT(struct hak_seg_lock, hold_ns_total, 32);
HAK_SEG_AT(struct hak_seg_process, mapped_bytes, 0);
HAK_SEG_AT(struct hak_seg_process, large_allocs, 8);
HAK_SEG_AT(struct hak_seg_process, large_frees, 16);
HAK_SEG_AT(struct hak_seg_process, large_live_bytes, 24);
HAK_SEG_AT(struct hak_seg_process, threads_started, 32);
HAK_SEG_AT(struct hak_seg_process, threads_exited, 40);
HAK_SEG_AT(struct hak_seg_process, pool_acquires, 48);
HAK_SEG_AT(struct hak_seg_process, pool_releases, 48 + 8 * HAK_NUM_POOL_STAGES);
HAK_SEG_AT(struct hak_seg_process, superslabs,
           48 + 8 * (HAK_NUM_POOL_STAGES + HAK_NUM_POOL_RELEASE_KINDS));
HAK_SEG_AT(struct hak_seg_process, os_calls,
           48 + 8 * (HAK_NUM_POOL_STAGES + HAK_NUM_POOL_RELEASE_KINDS + HAK_NUM_SUPERSLAB_STATES));
HAK_SEG_AT(struct hak_seg_process, os_bytes,
           48 + 8 * (HAK_NUM_POOL_STAGES + HAK_NUM_POOL_RELEASE_KINDS + HAK_NUM_SUPERSLAB_STATES +
                     HAK_NUM_OS_CALLS));
HAK_SEG_AT(struct hak_seg_process, slabs_in_use,
           48 + 8 * (HAK_NUM_POOL_STAGES + HAK_NUM_POOL_RELEASE_KINDS + HAK_NUM_SUPERSLAB_STATES +
                     2 * HAK_NUM_OS_CALLS));
HAK_SEG_AT(struct hak_seg_process, resident_bytes,
           48 + 8 * (HAK_NUM_POOL_STAGES + HAK_NUM_POOL_RELEASE_KINDS + HAK_NUM_SUPERSLAB_STATES +
                     2 * HAK_NUM_OS_CALLS + HAK_NUM_CLASSES));
HAK_SEG_AT(struct hak_seg_process, inherited_blocks,
           48 + 8 * (HAK_NUM_POOL_STAGES + HAK_NUM_POOL_RELEASE_KINDS + HAK_NUM_SUPERSLAB_STATES +
                     2 * HAK_NUM_OS_CALLS + HAK_NUM_CLASSES + 1));
HAK_SEG_AT(struct hak_seg_process, span_cache_bytes,
           48 + 8 * (HAK_NUM_POOL_STAGES + HAK_NUM_POOL_RELEASE_KINDS + HAK_NUM_SUPERSLAB_STATES +
                     2 * HAK_NUM_OS_CALLS + 2 * HAK_NUM_CLASSES + 1));
HAK_SEG_AT(struct hak_seg_process, span_cache_events,
           48 + 8 * (HAK_NUM_POOL_STAGES + HAK_NUM_POOL_RELEASE_KINDS + HAK_NUM_SUPERSLAB_STATES +
                     2 * HAK_NUM_OS_CALLS + 2 * HAK_NUM_CLASSES + 2));
HAK_SEG_AT(struct hak_seg_process, cache_resizes,
           48 + 8 * (HAK_NUM_POOL_STAGES + HAK_NUM_POOL_RELEASE_KINDS + HAK_NUM_SUPERSLAB_STATES +
                     2 * HAK_NUM_OS_CALLS + 2 * HAK_NUM_CLASSES + 2 + HAK_NUM_SPAN_CACHE_EVENTS));
HAK_SEG_AT(struct hak_seg_process, peak_resident_bytes,
           48 + 8 * (HAK_NUM_POOL_STAGES + HAK_NUM_POOL_RELEASE_KINDS + HAK_NUM_SUPERSLAB_STATES +
                     2 * HAK_NUM_OS_CALLS + 2 * HAK_NUM_CLASSES + 2 + HAK_NUM_SPAN_CACHE_EVENTS +
                     HAK_NUM_CACHE_RESIZES * HAK_NUM_CLASSES));
HAK_SEG_AT(struct hak_seg_process, peak_mapped_bytes,
           56 + 8 * (HAK_NUM_POOL_STAGES + HAK_NUM_POOL_RELEASE_KINDS + HAK_NUM_SUPERSLAB_STATES +
                     2 * HAK_NUM_OS_CALLS + 2 * HAK_NUM_CLASSES + 2 + HAK_NUM_SPAN_CACHE_EVENTS +
                     HAK_NUM_CACHE_RESIZES * HAK_NUM_CLASSES));
HAK_SEG_AT(struct hak_seg_process, peak_live_bytes,
           64 + 8 * (HAK_NUM_POOL_STAGES + HAK_NUM_POOL_RELEASE_KINDS + HAK_NUM_SUPERSLAB_STATES +
                     2 * HAK_NUM_OS_CALLS + 2 * HAK_NUM_CLASSES + 2 + HAK_NUM_SPAN_CACHE_EVENTS +
                     HAK_NUM_CACHE_RESIZES * HAK_NUM_CLASSES));
HAK_SEG_AT(struct hak_seg_class_info, size, 0);
HAK_SEG_AT(struct hak_seg_class_counters, allocs, 0);
HAK_SEG_AT(struct hak_seg_class_counters, frees, 8);
HAK_SEG_AT(struct hak_seg_class_counters, remote_frees, 16);
HAK_SEG_AT(struct hak_seg_class_counters, refills, 24);
HAK_SEG_AT(struct hak_seg_class_counters, refill_objects, 24 + 8 * HAK_NUM_PATHS);
HAK_SEG_AT(struct hak_seg_slot, state, 0);
HAK_SEG_AT(struct hak_seg_slot, tid, 4);
HAK_SEG_AT(struct hak_seg_slot, classes, 16);
#undef HAK_SEG_AT
#ifdef __cplusplus
static_assert(sizeof(struct hak_seg_header) == 112 + 16 * HAK_SEG_MAX_SECTIONS, "ABI");
static_assert(sizeof(struct hak_seg_setting) == 264 + HAK_SEG_SETTING_VALUE_MAX, "ABI");
static_assert(sizeof(struct hak_seg_lock) == 40, "ABI");
static_assert(sizeof(struct hak_seg_class_counters) == 8 * (3 + 2 * HAK_NUM_PATHS), "ABI");
static_assert(sizeof(struct hak_seg_process) ==
                  8 * (6 + HAK_NUM_POOL_STAGES + HAK_NUM_POOL_RELEASE_KINDS +
                       HAK_NUM_SUPERSLAB_STATES + 2 * HAK_NUM_OS_CALLS + 2 * HAK_NUM_CLASSES + 2 +
                       HAK_NUM_SPAN_CACHE_EVENTS + HAK_NUM_CACHE_RESIZES * HAK_NUM_CLASSES + 3),
              "ABI");
static_assert(sizeof(struct hak_seg_cache) == 32, "ABI");
static_assert(__builtin_offsetof(struct hak_seg_slot, caches) ==
                  HAK_SEG_SLOT_CACHES_AT(HAK_NUM_CLASSES, sizeof(struct hak_seg_class_counters)),
              "ABI");
static_assert(sizeof(struct hak_seg_slot) ==
                  __builtin_offsetof(struct hak_seg_slot, caches) + 32 * HAK_NUM_CLASSES,
              "ABI");
#endif

#endif
