// Large requests (above the small classes, or aligned beyond a page). Up to kArenaMaxRunBytes
// (aligned up to kArenaMaxAlign) they are page runs of shared arenas (large_arena.h). Bigger
// ones are spans of pages mapped for them, starting on a 2 MiB boundary so that their header
// sits at the chunk base and the page map finds it; freed spans wait in a bounded cache
// (HAKMEM_LARGE_CACHE_MB) for reuse and go back to the OS after the decay.
#pragma once
#include <cstddef>
#include <cstdint>

#include "large_arena.h"

namespace hakmem {

struct ThreadHeap;

constexpr uint64_t kLargeMagic = 0x48414b4d454d4c47ull;   // "HAKMEMLG"
constexpr size_t kLargeHeaderSize = 64;

// Invariant: magic == kLargeMagic ^ address; user == nullptr <=> the span is in the cache;
// otherwise map_base < user and user + usable == map_base + map_size.
struct LargeHeader {
  uint64_t magic;
  size_t map_size;
  char* user;
  size_t usable;
  uint64_t cached_at_ns;
  LargeHeader* cache_next;
};

// A live large block: an arena run (run.arena != nullptr) or a span (span != nullptr).
struct LargeRef {
  LargeHeader* span = nullptr;
  ArenaRun run;
  size_t usable = 0;   // > 0 for every large block
};

// align: a power of two >= 16. nullptr + ENOMEM on failure. With zero, the block reads as
// zeros (fresh pages already do; only reused memory is cleared).
void* large_alloc(size_t size, size_t align, bool zero = false);
// nullptr, or the reason r was not live after all (a double free racing with the first free).
const char* large_free(const LargeRef& r);
// Resizes r's block in place to `size` bytes (> the small classes): an arena run shrinks
// (freeing its tail) or grows over its free neighbour; a span only grows, past a MiB, by
// mremap without moving (only when the address range after it is free). False leaves the
// block unchanged.
bool large_resize_in_place(LargeRef* r, size_t size);
// The live large block at p (p's chunk is a large kind), or false with *reason set.
bool large_lookup(const void* p, LargeRef* out, const char** reason);
// Gives a heap's local runs back to their arenas (its thread exits, or trims).
void large_flush_local(ThreadHeap* heap);
// Returns decayed memory (all cached spans and free arena pages when force). Bytes returned.
size_t large_release_expired(bool force);
// Anything waiting for the decay (for the background thread)?
bool large_pending();

struct LargeStats {
  uint64_t allocs;
  uint64_t frees;
  uint64_t live_bytes;
};
LargeStats large_stats();

}  // namespace hakmem
