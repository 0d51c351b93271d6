// Large requests (above the small classes, or aligned beyond a page): each is a span of
// pages mapped for it, starting on a 2 MiB boundary so its header sits at the chunk base and
// the page map finds it. Freed spans wait in a bounded cache (HAKMEM_LARGE_CACHE_MB) for
// reuse and go back to the OS after the decay.
#pragma once
#include <cstddef>
#include <cstdint>

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

// align: a power of two >= 16. nullptr + ENOMEM on failure. With zero, the span reads as
// zeros (fresh mappings already do; only a reused cached span is cleared).
void* large_alloc(size_t size, size_t align, bool zero = false);
void large_free(LargeHeader* h);
// Grows h's span in place so that `size` bytes fit after its user pointer (mremap without
// moving: only when the address range after it is free). False leaves h unchanged.
bool large_grow_in_place(LargeHeader* h, size_t size);
// The header of the span holding p, or nullptr with *reason set (for error lines).
LargeHeader* large_header_of(const void* p, const char** reason);
size_t large_cache_release_expired(bool force);
// Moves a heap's own spans to the shared cache (its thread exits, or trims).
void large_flush_local(ThreadHeap* heap);
// Anything in the cache (for the background thread)?
bool large_cache_pending();

struct LargeStats {
  uint64_t allocs;
  uint64_t frees;
  uint64_t live_bytes;
};
LargeStats large_stats();

}  // namespace hakmem
