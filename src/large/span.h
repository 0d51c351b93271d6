// Spans: large blocks too big for an arena run (above kArenaMaxRunBytes, or aligned beyond
// kArenaMaxAlign), each its own mapping starting on a 2 MiB boundary so that its header sits
// at the chunk base and the page map finds it. Freed spans wait in a cache of at most
// kCacheSlots under the large_cache lock, whose hit is the smallest span that fits; a request
// that none fits maps a new span and moves the biggest cached one's pages into it; eviction
// drops the oldest, and the decay unmaps what waited too long. The cache's budget is
// HAKMEM_LARGE_CACHE_MB, or more while the live spans are below their recent peak
// (HAKMEM_LARGE_CACHE_PEAK): a working set of big blocks then reuses its spans and their
// faulted pages instead of mapping each block anew. Its events and bytes are counted in the
// segment (span_cache_events, span_cache_bytes). Part of the large wing: called from large.cc
// only.
#pragma once
#include <cstddef>
#include <cstdint>

#include "hakmem/stats_names.h"

namespace hakmem {

// In the HAK_SPAN_CACHE_EVENTS order (the segment's span_cache_events[]).
enum SpanCacheEvent : unsigned {
#define HAK_X_ENUM(id, name) kSpanCache##id,
  HAK_SPAN_CACHE_EVENTS(HAK_X_ENUM)
#undef HAK_X_ENUM
};

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

// A span for size bytes whose user pointer is aligned to align (a power of two >= 16): cached
// or freshly mapped. nullptr + ENOMEM on failure; *usable gets the bytes the block may use.
// With zero, the block reads as zeros.
void* span_alloc(size_t size, size_t align, bool zero, size_t* usable);
// Puts a live span into the cache (or unmaps it when it exceeds the budget).
void span_free(LargeHeader* h);
// Grows h in place to hold size bytes (a MiB or more, by mremap without moving); false leaves
// it unchanged.
bool span_grow_in_place(LargeHeader* h, size_t size);
// The live span whose user pointer is p (p's chunk is a span's), or nullptr with *reason set.
LargeHeader* span_header_of(const void* p, const char** reason);
// Unmaps cached spans whose decay expired (all when force). Returns the bytes.
size_t span_release_expired(bool force);
bool span_pending();

// The most spans, and the most bytes in spans, mapped at once (cached ones included): what
// glibc's malloc_stats calls "max mmap regions" and "max mmap bytes", its blocks with their
// own mapping.
struct SpanPeaks {
  size_t regions;
  size_t bytes;
};
SpanPeaks span_peaks();

}  // namespace hakmem
