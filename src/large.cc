// Large blocks: arena runs first (large_arena.cc), with up to kLocalRuns freed runs of at most
// kLocalRunMaxBytes per heap that its thread reuses without a lock (realloc growth frees and
// allocates such sizes in turn); spans too big for an arena get their own mapping and, once
// freed, wait in a shared array under the large_cache lock whose hit is the smallest span
// that fits; eviction drops the oldest. The large counters (allocations, frees, live bytes)
// are kept here for all of them.
#include "large.h"

#include <cerrno>
#include <cstring>

#include <atomic>

#include "background.h"
#include "constants.h"
#include "decay.h"
#include "env_config.h"
#include "lock.h"
#include "os/os.h"
#include "page_map.h"
#include "telemetry/segment.h"
#include "thread_heap.h"

namespace hakmem {
namespace {

// At most kCacheSlots spans: every cache operation is one scan of this small array.
constexpr unsigned kCacheSlots = 64;
LargeHeader* g_cache[kCacheSlots];   // large_cache lock
std::atomic<unsigned> g_cache_count{0};
size_t g_cache_bytes;

size_t round_up(size_t n, size_t to) { return (n + to - 1) & ~(to - 1); }

LargeHeader* remove_slot_locked(unsigned i) {
  LargeHeader* h = g_cache[i];
  g_cache[i] = nullptr;
  g_cache_bytes -= h->map_size;
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
  os::unmap(reinterpret_cast<void*>(new_end), old_end - new_end);
  h->map_size = bytes;
}

// The smallest cached span that holds `need`. Reusing it saves the mapping and, above all, the
// page faults of fresh memory; a span more than twice too big, by a MiB or more, gives back its
// excess (smaller excesses are cheaper to keep than an munmap).
LargeHeader* cache_take(size_t need) {
  if (g_cache_count.load(std::memory_order_relaxed) == 0) return nullptr;
  LargeHeader* h;
  {
    LockGuard g(lock_of(kLockLARGE_CACHE));
    int best = -1;
    for (unsigned i = 0; i < kCacheSlots; ++i) {
      LargeHeader* c = g_cache[i];
      if (c != nullptr && c->map_size >= need && (best < 0 || c->map_size < g_cache[best]->map_size)) {
        best = static_cast<int>(i);
      }
    }
    if (best < 0) return nullptr;
    h = remove_slot_locked(static_cast<unsigned>(best));
  }
  size_t excess = h->map_size - need;
  if (excess > need && excess >= (size_t{1} << 20)) trim_span(h, need);
  return h;
}

void unmap_span(LargeHeader* h) {
  size_t bytes = h->map_size;
  auto base = reinterpret_cast<uintptr_t>(h);
  page_map_clear(base, bytes);
  h->magic = 0;
  os::unmap(h, bytes);
}

// Evicts the oldest spans until a free slot exists and the bytes fit the budget; returns them
// linked through cache_next for unmapping outside the lock.
LargeHeader* evict_locked(size_t budget, size_t incoming) {
  LargeHeader* doomed = nullptr;
  while (g_cache_count.load(std::memory_order_relaxed) > 0 &&
         (g_cache_count.load(std::memory_order_relaxed) == kCacheSlots ||
          g_cache_bytes + incoming > budget)) {
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

void unmap_list(LargeHeader* list) {
  while (list != nullptr) {
    LargeHeader* next = list->cache_next;
    unmap_span(list);
    list = next;
  }
}

void cache_put(LargeHeader* h) {
  size_t budget = config().large_cache_mb << 20;
  if (h->map_size > budget) {
    unmap_span(h);
    return;
  }
  LargeHeader* doomed;
  {
    LockGuard g(lock_of(kLockLARGE_CACHE));
    doomed = evict_locked(budget, h->map_size);
    for (unsigned i = 0; i < kCacheSlots; ++i) {
      if (g_cache[i] == nullptr) {
        g_cache[i] = h;
        break;
      }
    }
    g_cache_bytes += h->map_size;
    g_cache_count.fetch_add(1, std::memory_order_relaxed);
  }
  unmap_list(doomed);
  background_notify();
}

// The calling thread's heap, whose local runs need no lock; nullptr for a thread without one.
ThreadHeap* local_heap() { return t_cache.state == kCacheActive ? t_cache.heap : nullptr; }

// The arena shard h allocates from, given at its first arena request: heaps that allocate
// large blocks take the shards in turn. Threads without a heap use shard 0.
unsigned arena_shard_of(ThreadHeap* h) {
  static std::atomic<uint32_t> next{0};
  if (h == nullptr) return 0;
  if (h->arena_shard == 0) h->arena_shard = next.fetch_add(1, std::memory_order_relaxed) % kArenaShards + 1;
  return h->arena_shard - 1;
}

// Takes local run i out of h, keeping the rest oldest first.
ArenaRun remove_local(ThreadHeap* h, unsigned i) {
  ArenaRun run = h->local_runs[i];
  for (++i; i < h->local_run_count; ++i) h->local_runs[i - 1] = h->local_runs[i];
  --h->local_run_count;
  return run;
}

// A local run goes back to its arena: live and ours, so the free cannot fail.
void return_local(const ArenaRun& run) {
  arena_set_cached(run, false);
  arena_free(run);
}

// Removes and returns the local run that fits `pages` without wasting more than half of it.
bool local_take(ThreadHeap* h, uint32_t pages, ArenaRun* out) {
  int best = -1;
  for (unsigned i = 0; i < h->local_run_count; ++i) {
    uint32_t p = h->local_runs[i].pages;
    if (p >= pages && p - pages <= pages && (best < 0 || p < h->local_runs[best].pages)) {
      best = static_cast<int>(i);
    }
  }
  if (best < 0) return false;
  *out = remove_local(h, static_cast<unsigned>(best));
  arena_set_cached(*out, false);
  return true;
}

// Keeps a freed run in h, giving the oldest back to its arena when h holds kLocalRuns.
bool local_put(ThreadHeap* h, const ArenaRun& run) {
  if (arena_run_bytes(run) > kLocalRunMaxBytes) return false;
  arena_set_cached(run, true);
  if (h->local_run_count == kLocalRuns) return_local(remove_local(h, 0));
  h->local_runs[h->local_run_count++] = run;
  return true;
}

void count_alloc(size_t usable) {
  seg_add(g_segment.process.large_allocs, 1);
  seg_add(g_segment.process.large_live_bytes, usable);
}

void* span_alloc(size_t size, size_t align, bool zero) {
  size_t offset = align > kLargeHeaderSize ? align : kLargeHeaderSize;
  if (size > kMaxRequest || offset > kMaxRequest) {
    errno = ENOMEM;
    return nullptr;
  }
  size_t need = round_up(offset + size, kPageSize);
  LargeHeader* h = cache_take(need);
  if (h != nullptr && zero) zero_reused(reinterpret_cast<char*>(h) + offset, size);   // old data
  if (h == nullptr) {
    void* mem = os::map_aligned(need, kSuperSlabSize);
    if (mem == nullptr) {
      errno = ENOMEM;
      return nullptr;
    }
    if (!page_map_set(reinterpret_cast<uintptr_t>(mem), need, kChunkLargeHead, kChunkLargeTail)) {
      os::unmap(mem, need);
      errno = ENOMEM;
      return nullptr;
    }
    h = static_cast<LargeHeader*>(mem);
    h->map_size = need;
    h->magic = kLargeMagic ^ reinterpret_cast<uintptr_t>(h);
  }
  h->user = reinterpret_cast<char*>(h) + offset;
  h->usable = h->map_size - offset;
  h->cache_next = nullptr;
  count_alloc(h->usable);
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
  if (!page_map_set(base, need, kChunkLargeHead, kChunkLargeTail)) {
    size_t old = h->map_size;
    h->map_size = need;
    trim_span(h, old);   // give the extension back
    return false;
  }
  seg_add(g_segment.process.large_live_bytes, need - h->map_size);
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

size_t cache_release_expired(bool force) {
  if (g_cache_count.load(std::memory_order_relaxed) == 0) return 0;
  LargeHeader* doomed = nullptr;
  size_t bytes = 0;
  {
    LockGuard g(lock_of(kLockLARGE_CACHE));
    uint64_t now = os::now_ns();   // under the lock: no span was cached after it
    for (unsigned i = 0; i < kCacheSlots; ++i) {
      LargeHeader* h = g_cache[i];
      if (h == nullptr || (!force && now - h->cached_at_ns < decay_ns())) continue;
      bytes += h->map_size;
      remove_slot_locked(i);
      h->cache_next = doomed;
      doomed = h;
    }
  }
  unmap_list(doomed);
  return bytes;
}

}  // namespace

void large_flush_local(ThreadHeap* h) {
  for (unsigned i = 0; i < h->local_run_count; ++i) return_local(h->local_runs[i]);
  h->local_run_count = 0;
}

void* large_alloc(size_t size, size_t align, bool zero) {
  // A thread whose first request is large gets its heap here too: its runs come from its own
  // arena shard and its freed ones wait in its heap.
  ThreadHeap* heap = thread_cache_ready() ? t_cache.heap : nullptr;
  if (heap != nullptr && heap->local_run_count != 0 && align <= kPageSize &&
      size <= kLocalRunMaxBytes) {
    auto pages = static_cast<uint32_t>(size == 0 ? 1 : round_up(size, kPageSize) / kPageSize);
    ArenaRun run;
    if (local_take(heap, pages, &run)) {
      void* p = arena_run_start(run);
      if (zero) zero_reused(p, size);   // a run that was in use: all of it may be dirty
      count_alloc(arena_run_bytes(run));
      return p;
    }
  }
  size_t usable;
  // An arena that cannot be mapped (address-space limits) may still leave room for a span.
  void* p = arena_alloc(arena_shard_of(heap), size, align, zero, &usable);
  if (p == nullptr) return span_alloc(size, align, zero);
  count_alloc(usable);
  return p;
}

const char* large_free(const LargeRef& r) {
  if (r.run.arena != nullptr) {
    ThreadHeap* heap = local_heap();
    if (heap == nullptr || !local_put(heap, r.run)) {
      if (const char* error = arena_free(r.run)) return error;
    }
  } else {
    r.span->user = nullptr;
    r.span->cached_at_ns = os::now_ns();
    cache_put(r.span);
  }
  seg_add(g_segment.process.large_frees, 1);
  seg_sub(g_segment.process.large_live_bytes, r.usable);
  return nullptr;
}

bool large_resize_in_place(LargeRef* r, size_t size) {
  if (r->run.arena == nullptr) return size > r->usable && span_grow_in_place(r->span, size);
  if (!arena_resize_in_place(&r->run, size)) return false;
  size_t usable = arena_run_bytes(r->run);
  seg_add(g_segment.process.large_live_bytes, usable);
  seg_sub(g_segment.process.large_live_bytes, r->usable);
  r->usable = usable;
  return true;
}

bool large_lookup(const void* p, LargeRef* out, const char** reason) {
  if (chunk_kind(reinterpret_cast<uintptr_t>(p)) == kChunkLargeArena) {
    if (!arena_lookup(p, &out->run, reason)) return false;
    out->usable = arena_run_bytes(out->run);
    return true;
  }
  out->span = span_header_of(p, reason);
  if (out->span == nullptr) return false;
  out->usable = out->span->usable;
  return true;
}

size_t large_release_expired(bool force) {
  return cache_release_expired(force) + arena_release_expired(force);
}

bool large_pending() {
  return g_cache_count.load(std::memory_order_relaxed) != 0 || arena_pending();
}

LargeStats large_stats() {
  const hak_seg_process& p = g_segment.process;
  return LargeStats{seg_load(p.large_allocs), seg_load(p.large_frees), seg_load(p.large_live_bytes)};
}

}  // namespace hakmem
