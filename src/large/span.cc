// See span.h.
#include "large/span.h"

#include <cerrno>

#include <algorithm>
#include <atomic>

#include "base/constants.h"
#include "base/page_map.h"
#include "counters/resident.h"
#include "counters/segment_storage.h"
#include "large/arena.h"
#include "os/os.h"
#include "support/decay.h"
#include "support/env_config.h"
#include "sync/background.h"
#include "sync/lock.h"

namespace hakmem {
namespace {


// At most kCacheSlots spans: every cache operation is one scan of this small array.
constexpr unsigned kCacheSlots = 64;
LargeHeader* g_cache[kCacheSlots];   // large_cache lock
std::atomic<unsigned> g_cache_count{0};
// The cached bytes are the segment's gauge itself (process.span_cache_bytes), changed only
// under the large_cache lock.
uint64_t& cache_bytes() { return process_counts().span_cache_bytes; }

// Spans mapped now, and the peaks. Updated only where a span is mapped, resized or unmapped,
// each beside a system call, so the atomics cost nothing measurable.
std::atomic<size_t> g_mapped_regions{0}, g_mapped_bytes{0};
std::atomic<size_t> g_peak_regions{0}, g_peak_bytes{0};

void raise_peak(std::atomic<size_t>& peak, size_t now) {
  size_t seen = peak.load(std::memory_order_relaxed);
  while (now > seen && !peak.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
  }
}

void note_mapped(long regions, long bytes) {
  size_t r = g_mapped_regions.fetch_add(static_cast<size_t>(regions), std::memory_order_relaxed);
  size_t b = g_mapped_bytes.fetch_add(static_cast<size_t>(bytes), std::memory_order_relaxed);
  if (regions > 0) raise_peak(g_peak_regions, r + static_cast<size_t>(regions));
  if (bytes > 0) raise_peak(g_peak_bytes, b + static_cast<size_t>(bytes));
}

void count_event(unsigned event) { seg_add(process_counts().span_cache_events[event], 1); }

LargeHeader* remove_slot_locked(unsigned i) {
  LargeHeader* h = g_cache[i];
  g_cache[i] = nullptr;
  seg_sub(cache_bytes(), h->map_size);
  g_cache_count.fetch_sub(1, std::memory_order_relaxed);
  return h;
}

// Cuts a span down to `bytes` (page multiple), unmapping the tail and clearing the page-map
// entries of the chunks it no longer touches.
void trim_span(LargeHeader* h, size_t bytes) {
  auto base = reinterpret_cast<uintptr_t>(h);
  uintptr_t old_end = base + h->map_size;
  uintptr_t new_end = base + bytes;
  uintptr_t first_free_chunk = (new_end + kSuperSlabMask) & ~kSuperSlabMask;
  if (first_free_chunk < old_end) page_map_clear(first_free_chunk, old_end - first_free_chunk);
  resident_shrink(old_end - new_end);
  os::unmap(reinterpret_cast<void*>(new_end), old_end - new_end);
  note_mapped(0, -static_cast<long>(old_end - new_end));
  h->map_size = bytes;
}

// What the cache has for a request of `need` bytes: the smallest span that holds it (fits),
// or else its biggest span, whose faulted pages a new mapping takes over (span_alloc), or
// nothing. Reusing a span saves the mapping and, above all, the page faults of fresh memory.
// A span more than four times too big, by a MiB or more, gives back its excess; smaller
// excesses are kept: a block of 5 MiB in a span of 20 costs resident pages while it lives,
// but a trim unmaps faulted pages that the next big block would fault again (huge_blocks
// with trims above 2 x: 7.4 K ops/s against 28 K above 4 x, RSS 415 against 474 MiB).
struct Taken {
  LargeHeader* h;
  bool fits;
};

Taken cache_take(size_t need) {
  if (g_cache_count.load(std::memory_order_relaxed) == 0) {
    count_event(kSpanCacheMISS);
    return {nullptr, false};
  }
  LargeHeader* h;
  {
    LockGuard g(lock_of(kLockLARGE_CACHE));
    int best = -1, biggest = -1;
    for (unsigned i = 0; i < kCacheSlots; ++i) {
      LargeHeader* c = g_cache[i];
      if (c == nullptr) continue;
      if (c->map_size >= need && (best < 0 || c->map_size < g_cache[best]->map_size)) {
        best = static_cast<int>(i);
      }
      if (biggest < 0 || c->map_size > g_cache[biggest]->map_size) biggest = static_cast<int>(i);
    }
    if (best < 0) {
      count_event(kSpanCacheMISS);
      if (biggest < 0) return {nullptr, false};
      return {remove_slot_locked(static_cast<unsigned>(biggest)), false};
    }
    h = remove_slot_locked(static_cast<unsigned>(best));
  }
  count_event(kSpanCacheHIT);
  size_t excess = h->map_size - need;
  if (excess > 3 * need && excess >= (size_t{1} << 20)) {
    trim_span(h, need);
    count_event(kSpanCacheTRIM);
  }
  return {h, true};
}

void unmap_span(LargeHeader* h) {
  size_t bytes = h->map_size;
  auto base = reinterpret_cast<uintptr_t>(h);
  page_map_clear(base, bytes);
  h->magic = 0;
  resident_shrink(bytes);
  os::unmap(h, bytes);
  note_mapped(-1, -static_cast<long>(bytes));
}

// A span unmapped instead of kept, or taken from the cache and then not used: an eviction.
void evict_span(LargeHeader* h) {
  unmap_span(h);
  count_event(kSpanCacheEVICT);
}

// Evicts the oldest spans until a free slot exists and the bytes fit the budget; returns them
// linked through cache_next for unmapping outside the lock.
LargeHeader* evict_locked(size_t budget, size_t incoming) {
  LargeHeader* doomed = nullptr;
  while (g_cache_count.load(std::memory_order_relaxed) > 0 &&
         (g_cache_count.load(std::memory_order_relaxed) == kCacheSlots ||
          seg_load(cache_bytes()) + incoming > budget)) {
    unsigned oldest = kCacheSlots;
    for (unsigned i = 0; i < kCacheSlots; ++i) {
      if (g_cache[i] != nullptr &&
          (oldest == kCacheSlots || g_cache[i]->cached_at_ns < g_cache[oldest]->cached_at_ns)) {
        oldest = i;
      }
    }
    LargeHeader* h = remove_slot_locked(oldest);
    h->cache_next = doomed;
    doomed = h;
  }
  return doomed;
}

// Unmaps spans taken out of the cache (evicted).
void unmap_list(LargeHeader* list) {
  while (list != nullptr) {
    LargeHeader* next = list->cache_next;
    evict_span(list);
    list = next;
  }
}

// The live spans' bytes at their recent peak: this decay window's and the last one's. A freed
// span is worth keeping while the live bytes are below that peak (the working set will grow
// back into it); the cache may then hold the difference, so the process's spans stay within
// their recent peak instead of a fixed budget that a working set of big blocks overflows on
// every free (each refill then maps and faults its pages afresh).
std::atomic<size_t> g_live_peak{0}, g_live_peak_before{0};
std::atomic<uint64_t> g_window_start_ns{0};

size_t live_span_bytes() {
  size_t mapped = g_mapped_bytes.load(std::memory_order_relaxed);
  size_t cached = seg_load(cache_bytes());
  return mapped > cached ? mapped - cached : 0;
}

void note_live_peak() { raise_peak(g_live_peak, live_span_bytes()); }

// large_cache lock held; h is being freed (still counted as mapped, not yet cached).
size_t cache_budget_locked(const LargeHeader* h, uint64_t now) {
  size_t live = live_span_bytes() - h->map_size;
  if (now - g_window_start_ns.load(std::memory_order_relaxed) >= decay_ns()) {
    g_live_peak_before.store(g_live_peak.load(std::memory_order_relaxed), std::memory_order_relaxed);
    g_live_peak.store(live + h->map_size, std::memory_order_relaxed);
    g_window_start_ns.store(now, std::memory_order_relaxed);
  }
  size_t peak = std::max(g_live_peak.load(std::memory_order_relaxed),
                         g_live_peak_before.load(std::memory_order_relaxed));
  size_t fixed = config().large_cache_mb << 20;
  return config().large_cache_peak != 0 ? std::max(fixed, peak) : fixed;
}

void cache_put(LargeHeader* h) {
  LargeHeader* doomed = nullptr;
  bool keep;
  {
    LockGuard g(lock_of(kLockLARGE_CACHE));
    size_t budget = cache_budget_locked(h, h->cached_at_ns);
    keep = h->map_size <= budget;
    if (keep) {
      doomed = evict_locked(budget, h->map_size);
      for (unsigned i = 0; i < kCacheSlots; ++i) {
        if (g_cache[i] == nullptr) {
          g_cache[i] = h;
          break;
        }
      }
      seg_add(cache_bytes(), h->map_size);
      g_cache_count.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (!keep) {
    evict_span(h);
    return;
  }
  unmap_list(doomed);
  background_notify();
}

// A new mapping of `need` bytes for a span, 2 MiB-aligned and in the page map; nullptr when
// the OS refuses.
void* map_fresh_span(size_t need) {
  void* mem = os::map_aligned(need, kSuperSlabSize);
  if (mem == nullptr) return nullptr;
  if (!page_map_set(reinterpret_cast<uintptr_t>(mem), need, kChunkLargeHead, kChunkLargeTail)) {
    os::unmap(mem, need);
    return nullptr;
  }
  // 2 MiB-aligned and at least 8 MiB: whole huge pages, which the block's user touches
  // anyway (a span counts as resident whole, below).
  if (config().large_hugepage != 0 && need > kArenaMaxRunBytes) os::advise_huge_pages(mem, need);
  return mem;
}

// Moves the pages of the cached span `from`, smaller than the fresh mapping `to`, to the start
// of `to`: the block that needs more than any cached span holds reuses the biggest one's
// faulted pages and faults only the rest, and the cache does not keep a span the working set
// outgrew. Both are 2 MiB-aligned, so the kernel moves whole page tables. Returns the bytes
// moved (0: the kernel refused, and `from` is unmapped instead). `from` stays counted as
// resident and mapped; the caller counts `to` net of the moved bytes.
size_t move_span_into(LargeHeader* from, void* to) {
  size_t bytes = from->map_size;
  page_map_clear(reinterpret_cast<uintptr_t>(from), bytes);   // before its addresses go
  from->magic = 0;
  if (!os::move_mapping(from, bytes, to)) {
    evict_span(from);
    return 0;
  }
  return bytes;
}

}  // namespace

void* span_alloc(size_t size, size_t align, bool zero, size_t* usable) {
  // The block starts at the first multiple of align past the header. A span is only 2 MiB
  // aligned (fresh or cached), so for a larger alignment that is up to `align` bytes in:
  // offset <= max(align, header) always, which `need` reserves, with at least one byte after
  // it: a zero-byte request still gets memory inside its mapping, not the address past it.
  size_t step = align > kLargeHeaderSize ? align : kLargeHeaderSize;
  if (size > kMaxRequest || step > kMaxRequest) {
    errno = ENOMEM;
    return nullptr;
  }
  size_t need = round_up(step + (size == 0 ? 1 : size), kPageSize);
  Taken taken = cache_take(need);
  LargeHeader* h = taken.fits ? taken.h : nullptr;
  LargeHeader* grown = taken.fits ? nullptr : taken.h;   // too small: its pages move over
  size_t dirty = h != nullptr ? h->map_size : 0;   // bytes at the start that held old data
  if (h == nullptr) {
    void* mem = map_fresh_span(need);
    if (mem == nullptr) {
      if (grown != nullptr) evict_span(grown);   // taken, not used
      errno = ENOMEM;
      return nullptr;
    }
    size_t moved = grown != nullptr ? move_span_into(grown, mem) : 0;
    // A span counts as resident whole: its pages are the block's, live or cached for reuse.
    resident_grow(need - moved);
    note_mapped(moved != 0 ? 0 : 1, static_cast<long>(need - moved));
    dirty = moved;
    h = static_cast<LargeHeader*>(mem);
    h->map_size = need;
    h->magic = kLargeMagic ^ reinterpret_cast<uintptr_t>(h);
  }
  auto base = reinterpret_cast<uintptr_t>(h);
  size_t offset = round_up(base + kLargeHeaderSize, step) - base;
  if (zero && dirty > offset) {   // old data
    zero_reused(reinterpret_cast<char*>(h) + offset, std::min(size, dirty - offset));
  }
  h->user = reinterpret_cast<char*>(h) + offset;
  h->usable = h->map_size - offset;
  h->cache_next = nullptr;
  note_live_peak();
  *usable = h->usable;
  return h->user;
}

bool span_grow_in_place(LargeHeader* h, size_t size) {
  size_t offset = static_cast<size_t>(h->user - reinterpret_cast<char*>(h));
  if (size > kMaxRequest) return false;
  size_t need = round_up(offset + size, kPageSize);
  if (need <= h->map_size) return true;
  // Below a MiB, a fresh block and a memcpy are cheaper than an mremap.
  if (size < (size_t{1} << 20)) return false;
  auto base = reinterpret_cast<uintptr_t>(h);
  if (!os::extend_in_place(h, h->map_size, need)) return false;
  resident_grow(need - h->map_size);
  note_mapped(0, static_cast<long>(need - h->map_size));
  if (!page_map_set(base, need, kChunkLargeHead, kChunkLargeTail)) {
    size_t old = h->map_size;
    h->map_size = need;
    trim_span(h, old);   // give the extension back
    return false;
  }
  seg_add(process_counts().large_live_bytes, need - h->map_size);
  h->map_size = need;
  h->usable = need - offset;
  return true;
}

LargeHeader* span_header_of(const void* p, const char** reason) {
  auto a = reinterpret_cast<uintptr_t>(p);
  uintptr_t chunk = a & ~kSuperSlabMask;
  ChunkKind kind = chunk_kind(chunk);
  while (kind == kChunkLargeTail) {
    chunk -= kSuperSlabSize;
    kind = chunk_kind(chunk);
  }
  if (kind != kChunkLargeHead) {
    *reason = "not allocated by hakmem";
    return nullptr;
  }
  auto* h = reinterpret_cast<LargeHeader*>(chunk);
  if (h->magic != (kLargeMagic ^ chunk)) {
    *reason = "corrupt large header";
    return nullptr;
  }
  if (a >= chunk + h->map_size) {
    *reason = "not allocated by hakmem";
    return nullptr;
  }
  if (h->user == nullptr) {
    *reason = "double free";
    return nullptr;
  }
  if (reinterpret_cast<char*>(a) != h->user) {
    *reason = "interior pointer";
    return nullptr;
  }
  return h;
}

size_t span_release_expired(bool force) {
  if (g_cache_count.load(std::memory_order_relaxed) == 0) return 0;
  LargeHeader* doomed = nullptr;
  size_t bytes = 0;
  {
    LockGuard g(lock_of(kLockLARGE_CACHE));
    uint64_t now = os::now_ns();   // under the lock: no span was cached after it
    for (unsigned i = 0; i < kCacheSlots; ++i) {
      LargeHeader* h = g_cache[i];
      if (h == nullptr || (!force && !decayed(h->cached_at_ns, now))) continue;
      bytes += h->map_size;
      remove_slot_locked(i);
      h->cache_next = doomed;
      doomed = h;
    }
  }
  unmap_list(doomed);
  return bytes;
}

void span_free(LargeHeader* h) {
  h->user = nullptr;
  h->cached_at_ns = os::now_ns();
  cache_put(h);
}

SpanPeaks span_peaks() {
  return {g_peak_regions.load(std::memory_order_relaxed),
          g_peak_bytes.load(std::memory_order_relaxed)};
}

bool span_pending() { return g_cache_count.load(std::memory_order_relaxed) != 0; }

}  // namespace hakmem
