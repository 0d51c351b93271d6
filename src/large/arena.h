// Large-arena runs: the home of large blocks up to kArenaMaxRunBytes. An arena is 32 MiB of
// address space, 32 MiB-aligned (so `p & ~(kArenaSize - 1)` finds its header), whose chunks
// the page map marks kChunkLargeArena. Its first pages hold the header; the rest is cut into
// page runs, each free or live. A live run's user pointer is its first page.
//
// Why: a span mapped per request costs an mmap, an munmap and a page fault per 4 KiB every
// time; a freed run keeps its pages resident (dirty) for the next request until the decay
// returns them with MADV_DONTNEED.
//
// The arenas form kArenaShards shards, each a list of arenas under its own large_arena lock
// (arena_shard_lock), which never nests with another lock. Heaps take the shards in turn when
// they first allocate from an arena (large.cc), so threads allocating side by side take
// different locks while a lone thread keeps using shard 0. A free takes the lock of the run's
// arena, whoever allocated it. Called from inside src/large/ only.
#pragma once
#include <cstddef>
#include <cstdint>

#include "base/constants.h"

namespace hakmem {

struct Arena;

constexpr unsigned kArenaShift = 25;
constexpr size_t kArenaSize = size_t{1} << kArenaShift;        // 32 MiB
constexpr size_t kArenaMaxRunBytes = size_t{8} << 20;          // larger: own mapping (large.cc)
constexpr size_t kArenaMaxAlign = size_t{1} << 20;
// Freed runs up to this size may wait in their thread's heap (large.cc) for its next request:
// no lock for a thread that frees and allocates similar sizes, as realloc growth does.
constexpr size_t kLocalRunMaxBytes = size_t{256} << 10;

// A live run, as found from a user pointer.
struct ArenaRun {
  Arena* arena = nullptr;
  uint32_t page = 0;    // first page of the run (index in the arena)
  uint16_t pages = 0;   // < kArenaPages
  uint16_t offset = 0;  // bytes from the run's start to its user pointer (arena_colour)
};
// Kept at 16 bytes: at 24, the four in every heap's LargeLocal moved the ThreadHeap fields
// after them and a small-block workload (batch-free-share, T=2) lost 15 %, a layout effect
// not understood yet.
static_assert(sizeof(ArenaRun) == 16);

// A run for `size` bytes at `align` (a power of two <= kArenaMaxAlign) from an arena of
// `shard`: its user pointer, or nullptr when the request is too big for an arena or the OS
// refuses a new one. With zero, the first `size` bytes read as zeros. *usable gets the bytes
// from the user pointer to the run's end.
void* arena_alloc(unsigned shard, size_t size, size_t align, bool zero, size_t* usable);
// Places a live run's user pointer for a block of `size` bytes at `align`: a cache line of the
// run's first page, within the slack its last page leaves (no page is added for it), chosen
// from the run's address. Page-aligned blocks all start at the same offset in their pages, so
// a program that writes each page of its blocks at the same place (a byte per page as it fills
// a buffer) sends every write to the same few cache sets; spread over a page's lines, the
// writes use all of them (README, Large blocks). The run's owner calls it before handing the
// block out; it returns the user pointer.
void* arena_colour(ArenaRun* run, size_t size, size_t align);
// The live run whose user pointer is p; false with *reason set when p is not one (p's chunk
// is an arena).
bool arena_lookup(const void* p, ArenaRun* run, const char** reason);
// Frees a run from arena_lookup; it merges with free neighbours. Returns nullptr, or the
// reason (a racing double free) when the run is no longer live, leaving everything as is.
const char* arena_free(const ArenaRun& run);
// A run waiting in a thread's cache stays live in the arena; this marks it (cached) so that a
// free of it meanwhile is a double free, and unmarks it before it is handed out or freed.
void arena_set_cached(const ArenaRun& run, bool cached);
// Resizes a live run to the pages `size` bytes from its user pointer need: shrinking frees its
// tail, growing takes over its free right neighbour. False (the neighbour is live or too
// small) leaves it as is.
bool arena_resize_in_place(ArenaRun* run, size_t size);
// Discards the dirty pages of runs free for longer than the decay and unmaps arenas empty for
// that long (everything free when force). Returns the bytes given back.
size_t arena_release_expired(bool force);
// Large allocations: the same, at most once per eighth of the decay (so it also happens with
// HAKMEM_BG_RELEASE=0).
void arena_maybe_release_expired();
// Dirty free pages or empty arenas waiting for the decay (for the background thread)?
bool arena_pending();

inline size_t arena_run_bytes(const ArenaRun& run) { return size_t{run.pages} * kPageSize; }
// The bytes a live run holds for its user, from its user pointer on.
inline size_t arena_run_usable(const ArenaRun& run) { return arena_run_bytes(run) - run.offset; }
inline void* arena_run_start(const ArenaRun& run) {
  return reinterpret_cast<char*>(run.arena) + size_t{run.page} * kPageSize;
}

// Zeroes reused memory [p, p + bytes) of one block that owns whole pages up to p + bytes
// rounded up. Up to 1 MiB, memset is cheaper than the page faults that follow a discard;
// above, a discard (beyond p's first page) avoids touching memory the caller may never use.
void zero_reused(void* p, size_t bytes);

}  // namespace hakmem
