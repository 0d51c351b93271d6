// The large wing's one door: requests above the small classes, or aligned beyond a page. Up to
// kArenaMaxRunBytes (aligned up to kArenaMaxAlign) they are page runs of shared arenas
// (arena.h); bigger ones are spans mapped for them (span.h), whose freed ones wait in a
// bounded cache (HAKMEM_LARGE_CACHE_MB). Both go back to the OS after the decay. Nothing
// outside src/large/ includes another file of it.
//
// `local` is the calling thread's LargeLocal (nullptr for a thread without a heap: it takes
// the arenas' locks for everything); the small wing's heaps own them.
#pragma once
#include <cstddef>
#include <cstdint>

#include "large/arena.h"

namespace hakmem {

struct LargeHeader;   // a span's (span.h)

// A heap's part of the large wing (ThreadHeap::large): freed runs it keeps without a lock,
// oldest first, and the arena shard it allocates from. Used only by the heap's thread.
constexpr unsigned kLocalRuns = 4;
struct LargeLocal {
  ArenaRun runs[kLocalRuns];   // each at most kLocalRunMaxBytes
  uint32_t count;
  uint32_t arena_shard;        // 1 + its arenas' shard; 0 before its first arena request
};

// A live large block: an arena run (run.arena != nullptr) or a span (span != nullptr).
struct LargeRef {
  LargeHeader* span = nullptr;
  ArenaRun run;
  size_t usable = 0;   // > 0 for every large block
};

// align: a power of two >= 16. nullptr + ENOMEM on failure. With zero, the block reads as
// zeros (fresh pages already do; only reused memory is cleared).
void* large_alloc(LargeLocal* local, size_t size, size_t align, bool zero = false);
// nullptr, or the reason r was not live after all (a double free racing with the first free).
const char* large_free(LargeLocal* local, const LargeRef& r);
// Resizes r's block in place to `size` bytes (> the small classes): an arena run shrinks
// (freeing its tail) or grows over its free neighbour; a span only grows, past a MiB, by
// mremap without moving (only when the address range after it is free). False leaves the
// block unchanged.
bool large_resize_in_place(LargeRef* r, size_t size);
// The live large block at p (p's chunk is a large kind), or false with *reason set.
bool large_lookup(const void* p, LargeRef* out, const char** reason);
// Gives a heap's local runs back to their arenas (its thread exits, or trims).
void large_flush_local(LargeLocal* local);
// Returns decayed memory (all cached spans and free arena pages when force). Bytes returned.
size_t large_release_expired(bool force);
// Anything waiting for the decay (for the background thread)?
bool large_pending();
// The most spans (blocks with their own mapping), and bytes in them, mapped at once.
void large_mapping_peaks(size_t* regions, size_t* bytes);

}  // namespace hakmem
