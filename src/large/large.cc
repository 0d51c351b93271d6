// The large wing's door (see large.h): the choice between a heap's local runs, an arena run
// and a span, and the large counters (allocations, frees, live bytes) for all of them. A heap
// keeps up to kLocalRuns freed runs of at most kLocalRunMaxBytes that its thread reuses without
// a lock (realloc growth frees and allocates such sizes in turn).
#include "large/large.h"

#include <atomic>

#include "base/constants.h"
#include "base/page_map.h"
#include "counters/segment_storage.h"
#include "large/span.h"

namespace hakmem {
namespace {

// The arena shard l allocates from, given at its first arena request: heaps that allocate
// large blocks take the shards in turn. Threads without a heap use shard 0.
unsigned arena_shard_of(LargeLocal* l) {
  static std::atomic<uint32_t> next{0};
  if (l == nullptr) return 0;
  if (l->arena_shard == 0) l->arena_shard = next.fetch_add(1, std::memory_order_relaxed) % kArenaShards + 1;
  return l->arena_shard - 1;
}

// Takes local run i out of l, keeping the rest oldest first.
ArenaRun remove_local(LargeLocal* l, unsigned i) {
  ArenaRun run = l->runs[i];
  for (++i; i < l->count; ++i) l->runs[i - 1] = l->runs[i];
  --l->count;
  return run;
}

// A local run goes back to its arena: live and ours, so the free cannot fail.
void return_local(const ArenaRun& run) {
  arena_set_cached(run, false);
  arena_free(run);
}

// Removes and returns the local run that fits `pages` without wasting more than half of it.
bool local_take(LargeLocal* l, uint32_t pages, ArenaRun* out) {
  int best = -1;
  for (unsigned i = 0; i < l->count; ++i) {
    uint32_t p = l->runs[i].pages;
    if (p >= pages && p - pages <= pages && (best < 0 || p < l->runs[best].pages)) {
      best = static_cast<int>(i);
    }
  }
  if (best < 0) return false;
  *out = remove_local(l, static_cast<unsigned>(best));
  arena_set_cached(*out, false);
  return true;
}

// Keeps a freed run in l, giving the oldest back to its arena when l holds kLocalRuns.
bool local_put(LargeLocal* l, const ArenaRun& run) {
  if (arena_run_bytes(run) > kLocalRunMaxBytes) return false;
  arena_set_cached(run, true);
  if (l->count == kLocalRuns) return_local(remove_local(l, 0));
  l->runs[l->count++] = run;
  return true;
}

void count_alloc(size_t usable) {
  seg_add(process_counts().large_allocs, 1);
  seg_add(process_counts().large_live_bytes, usable);
}

}  // namespace

void large_flush_local(LargeLocal* l) {
  for (unsigned i = 0; i < l->count; ++i) return_local(l->runs[i]);
  l->count = 0;
}

void* large_alloc(LargeLocal* local, size_t size, size_t align, bool zero) {
  if (local != nullptr && local->count != 0 && align <= kPageSize &&
      size <= kLocalRunMaxBytes) {
    auto pages = static_cast<uint32_t>(size == 0 ? 1 : round_up(size, kPageSize) / kPageSize);
    ArenaRun run;
    if (local_take(local, pages, &run)) {
      void* p = arena_colour(&run, size, align);
      if (zero) zero_reused(p, size);   // a run that was in use: all of it may be dirty
      count_alloc(arena_run_usable(run));
      return p;
    }
  }
  size_t usable;
  // An arena that cannot be mapped (address-space limits) may still leave room for a span.
  void* p = arena_alloc(arena_shard_of(local), size, align, zero, &usable);
  if (p == nullptr) p = span_alloc(size, align, zero, &usable);
  if (p != nullptr) count_alloc(usable);
  return p;
}

const char* large_free(LargeLocal* local, const LargeRef& r) {
  if (r.run.arena != nullptr) {
    if (local == nullptr || !local_put(local, r.run)) {
      if (const char* error = arena_free(r.run)) return error;
    }
  } else {
    span_free(r.span);
  }
  seg_add(process_counts().large_frees, 1);
  seg_sub(process_counts().large_live_bytes, r.usable);
  return nullptr;
}

bool large_resize_in_place(LargeRef* r, size_t size) {
  if (r->run.arena == nullptr) return size > r->usable && span_grow_in_place(r->span, size);
  if (!arena_resize_in_place(&r->run, size)) return false;
  size_t usable = arena_run_usable(r->run);
  seg_add(process_counts().large_live_bytes, usable);
  seg_sub(process_counts().large_live_bytes, r->usable);
  r->usable = usable;
  return true;
}

bool large_lookup(const void* p, LargeRef* out, const char** reason) {
  if (chunk_kind(reinterpret_cast<uintptr_t>(p)) == kChunkLargeArena) {
    if (!arena_lookup(p, &out->run, reason)) return false;
    out->usable = arena_run_usable(out->run);
    return true;
  }
  out->span = span_header_of(p, reason);
  if (out->span == nullptr) return false;
  out->usable = out->span->usable;
  return true;
}

size_t large_release_expired(bool force) {
  return span_release_expired(force) + arena_release_expired(force);
}

bool large_pending() {
  return span_pending() || arena_pending();
}

void large_mapping_peaks(size_t* regions, size_t* bytes) {
  SpanPeaks p = span_peaks();
  *regions = p.regions;
  *bytes = p.bytes;
}

}  // namespace hakmem
