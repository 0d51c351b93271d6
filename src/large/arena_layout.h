// The inside of a large arena (arena.h): the header at its base, the run tags and the
// dirty-page bitmap, shared by the run allocator (arena_runs.cc) and the decay
// (arena_decay.cc). Everything here is guarded by the lock of the arena's shard unless said
// otherwise.
//
// Every page from kFirstPage on belongs to exactly one run. tags[i] is non-zero iff page i is
// the first (kTagStart) or last (kTagEnd) page of a run; interior tags are zero. That is what
// lets a free() tell a live run's start from an interior pointer or a freed run without
// trusting user memory. Invariants, checked by validate_arena_locked in debug builds:
//   sum of run pages == kRunPages;  free_pages == sum of free run pages
//   no two free runs are adjacent (a freed run merges with its free neighbours)
//   a free run is on the list of bin_of(pages); bin_mask bit b <=> list b is non-empty
// dirty bit i clear => page i reads as zero (never touched since the mapping, or discarded);
// set => it may be resident with data. Live runs are all dirty. Free runs keep their bits, so
// the next user of the pages finds them resident (no page faults), and calloc zeroes only
// the dirty ones.
#pragma once
#include <atomic>
#include <cstdint>

#include "base/constants.h"
#include "large/arena.h"
#include "sync/lock.h"

namespace hakmem {

constexpr uint32_t kArenaPages = kArenaSize / kPageSize;   // 8192
constexpr unsigned kBins = 64;
constexpr uint16_t kNoRun = 0xffff;
constexpr uint64_t kArenaMagic = 0x52414d454d4b4148ull;   // "HAKMEMAR"

enum : uint8_t { kTagStart = 1, kTagEnd = 2, kTagFree = 4 };

struct RunTag {
  uint16_t pages;      // the run's length, on its first and its last page
  uint8_t flags;
  uint8_t colour;      // live run, first page: its user pointer's offset in lines (arena_colour)
  uint16_t next;       // free run, first page: its bin's list (kNoRun at the ends)
  uint16_t prev;
  uint64_t freed_ns;   // free run, first page: when it became free (the decay's clock)
};

struct Arena {
  uint64_t magic;           // kArenaMagic ^ address; written once
  Arena* next;              // every arena of its shard, oldest first
  uint32_t shard;           // written once
  // Every free() reads magic without the lock: the fields written under it start on their
  // own cache line, so that read never waits for a line another thread keeps dirtying.
  alignas(64) uint64_t bin_mask;
  uint32_t free_pages;
  uint32_t unused;
  uint64_t empty_since_ns;  // meaningful while free_pages == kRunPages
  uint16_t bin_head[kBins];
  uint64_t dirty[kArenaPages / 64];
  RunTag tags[kArenaPages];
  // Live runs waiting in a thread's cache (first page). Written by that thread without the
  // lock, read by any free of the run: atomic, and only ever a double-free check.
  std::atomic<uint8_t> cached[kArenaPages];
};

constexpr uint32_t kFirstPage = (sizeof(Arena) + kPageSize - 1) / kPageSize;   // 35
constexpr uint32_t kRunPages = kArenaPages - kFirstPage;
static_assert(kArenaSize >= kSuperSlabSize && kArenaMaxAlign < kArenaSize,
              "arena alignment gives run alignment; its chunks are whole page-map entries");
static_assert(kArenaMaxRunBytes / kPageSize + kArenaMaxAlign / kPageSize <= kRunPages,
              "the largest aligned request fits an empty arena");

extern Arena* g_arenas[kArenaShards];        // each shard's arenas, oldest first
extern std::atomic<bool> g_arena_pending;   // decay work may exist: set by frees, cleared by a decay pass

inline Lock& arena_lock(const Arena* a) { return arena_shard_lock(a->shard); }

inline char* page_addr(Arena* a, uint32_t page) {
  return reinterpret_cast<char*>(a) + size_t{page} * kPageSize;
}

// Set bits of w. Not __builtin_popcountll: without -mpopcnt that is a libgcc call.
inline uint32_t bit_count(uint64_t w) {
  w -= (w >> 1) & 0x5555555555555555ull;
  w = (w & 0x3333333333333333ull) + ((w >> 2) & 0x3333333333333333ull);
  w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return static_cast<uint32_t>((w * 0x0101010101010101ull) >> 56);
}

// Sets (dirty) or clears the dirty bits of [first, first + pages), a word at a time. Returns
// how many bits changed: the pages resident_bytes gains (set) or loses (clear).
inline uint32_t mark_dirty(Arena* a, uint32_t first, uint32_t pages, bool dirty) {
  uint32_t changed = 0;
  for (uint32_t i = first, end = first + pages; i < end;) {
    uint32_t bit = i % 64;
    uint32_t take = 64 - bit < end - i ? 64 - bit : end - i;
    uint64_t mask = (take == 64 ? ~uint64_t{0} : (uint64_t{1} << take) - 1) << bit;
    uint64_t& w = a->dirty[i / 64];
    changed += bit_count((dirty ? ~w : w) & mask);
    if (dirty) w |= mask; else w &= ~mask;
    i += take;
  }
  return changed;
}

// Pages of a whose dirty bit is set.
inline uint32_t dirty_pages(const Arena* a) {
  uint32_t n = 0;
  for (uint64_t w : a->dirty) n += bit_count(w);
  return n;
}

// The first page in [i, end) whose dirty bit is `want`, or end.
inline uint32_t next_dirty(const Arena* a, uint32_t i, uint32_t end, bool want) {
  while (i < end) {
    uint64_t w = want ? a->dirty[i / 64] : ~a->dirty[i / 64];
    w >>= i % 64;
    if (w != 0) {
      uint32_t found = i + static_cast<uint32_t>(__builtin_ctzll(w));
      return found < end ? found : end;
    }
    i = (i / 64 + 1) * 64;
  }
  return end;
}

// Calls f(first, end) for each maximal run of dirty pages in [i, end), in order, until f
// returns false.
template <class F>
inline void for_each_dirty_range(const Arena* a, uint32_t i, uint32_t end, F f) {
  for (uint32_t d = next_dirty(a, i, end, true); d < end; d = next_dirty(a, d, end, true)) {
    uint32_t clean = next_dirty(a, d, end, false);
    if (!f(d, clean)) return;
    d = clean;
  }
}

}  // namespace hakmem
