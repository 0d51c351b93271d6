// The run allocator of the large arenas (layout and invariants in arena_layout.h): runs are
// cut from size-binned free lists and merge with their free neighbours when freed.
//
// Allocation: first fit on the older arenas first (so that younger ones can empty and go),
// within an arena the bin of the request (a bounded scan), then the head of the next
// non-empty bin. Free lists are LIFO: the most recently freed run, the likeliest resident, is
// reused first.
#include "large/arena.h"

#include <cstring>

#include "counters/resident.h"
#include "large/arena_layout.h"
#include "sync/background.h"
#include "support/invariant.h"
#include "os/os.h"
#include "base/page_map.h"

namespace hakmem {

Arena* g_arenas[kArenaShards];
std::atomic<bool> g_arena_pending{false};

namespace {

// 0..15 pages exactly, then four bins per power of two. Monotonic, so any run of a bin above
// bin_of(n) holds n pages.
unsigned bin_of(uint32_t pages) {
  if (pages < 16) return pages;
  unsigned lg = 31 - static_cast<unsigned>(__builtin_clz(pages));
  return 16 + (lg - 4) * 4 + ((pages >> (lg - 2)) & 3);
}
static_assert(16 + (12 - 4) * 4 + 3 < kBins, "bin_of(kRunPages) fits the mask");

void bin_push(Arena* a, uint32_t first) {
  RunTag& t = a->tags[first];
  unsigned b = bin_of(t.pages);
  t.prev = kNoRun;
  t.next = a->bin_head[b];
  if (t.next != kNoRun) a->tags[t.next].prev = static_cast<uint16_t>(first);
  a->bin_head[b] = static_cast<uint16_t>(first);
  a->bin_mask |= uint64_t{1} << b;
}

void bin_remove(Arena* a, uint32_t first) {
  RunTag& t = a->tags[first];
  unsigned b = bin_of(t.pages);
  if (t.prev != kNoRun) a->tags[t.prev].next = t.next; else a->bin_head[b] = t.next;
  if (t.next != kNoRun) a->tags[t.next].prev = t.prev;
  if (a->bin_head[b] == kNoRun) a->bin_mask &= ~(uint64_t{1} << b);
}

void set_run(Arena* a, uint32_t first, uint32_t pages, bool free) {
  uint8_t f = free ? kTagFree : 0;
  a->tags[first].pages = static_cast<uint16_t>(pages);
  a->tags[first].flags = static_cast<uint8_t>(kTagStart | f | (pages == 1 ? kTagEnd : 0));
  if (pages > 1) {
    a->tags[first + pages - 1].pages = static_cast<uint16_t>(pages);
    a->tags[first + pages - 1].flags = static_cast<uint8_t>(kTagEnd | f);
  }
}

void clear_tag(Arena* a, uint32_t page) { a->tags[page] = RunTag{}; }

void add_free_run(Arena* a, uint32_t first, uint32_t pages, uint64_t freed_ns) {
  set_run(a, first, pages, true);
  a->tags[first].freed_ns = freed_ns;
  bin_push(a, first);
}

// A free run of at least `need` pages in a, or kNoRun.
uint32_t fit_in(const Arena* a, uint32_t need) {
  unsigned b = bin_of(need);
  unsigned scanned = 0;
  for (uint32_t i = a->bin_head[b]; i != kNoRun && scanned < 16; i = a->tags[i].next, ++scanned) {
    if (a->tags[i].pages >= need) return i;
  }
  uint64_t higher = a->bin_mask & (~uint64_t{0} << (b + 1));
  return higher != 0 ? a->bin_head[__builtin_ctzll(higher)] : kNoRun;
}

[[maybe_unused]] void validate_arena_locked(const Arena* a) {
  uint32_t free_pages = 0;
  bool prev_free = false;
  auto* base = reinterpret_cast<const char*>(a);
  for (uint32_t i = kFirstPage; i < kArenaPages;) {
    const RunTag& t = a->tags[i];
    const char* where = base + size_t{i} * kPageSize;
    if ((t.flags & kTagStart) == 0 || t.pages == 0 || i + t.pages > kArenaPages) {
      invariant_broken("arena run start tag", where, t.flags, t.pages);
    }
    const RunTag& e = a->tags[i + t.pages - 1];
    if ((e.flags & kTagEnd) == 0 || e.pages != t.pages || ((e.flags ^ t.flags) & kTagFree) != 0) {
      invariant_broken("arena run end tag", where, e.pages, t.pages);
    }
    for (uint32_t j = i + 1; j + 1 < i + t.pages; ++j) {
      if (a->tags[j].flags != 0) invariant_broken("arena interior tag", where, j, a->tags[j].flags);
    }
    bool free = (t.flags & kTagFree) != 0;
    if (free && prev_free) invariant_broken("adjacent free runs", where, 1, 0);
    if (free && (a->bin_mask & (uint64_t{1} << bin_of(t.pages))) == 0) {
      invariant_broken("free run's bin marked empty", where, bin_of(t.pages), 1);
    }
    if (free) free_pages += t.pages;
    prev_free = free;
    i += t.pages;
  }
  if (free_pages != a->free_pages) {
    invariant_broken("arena free pages", a, free_pages, a->free_pages);
  }
}

Arena* new_arena_locked(unsigned shard) {
  void* mem = os::map_aligned(kArenaSize, kArenaSize);
  if (mem == nullptr) return nullptr;
  auto* a = static_cast<Arena*>(mem);
  auto base = reinterpret_cast<uintptr_t>(mem);
  a->magic = kArenaMagic ^ base;
  a->shard = shard;
  memset(a->bin_head, 0xff, sizeof a->bin_head);
  a->free_pages = kRunPages;
  a->empty_since_ns = os::now_ns();
  add_free_run(a, kFirstPage, kRunPages, a->empty_since_ns);
  // Published after the header is written: the page map's stores are release.
  if (!page_map_set(base, kArenaSize, kChunkLargeArena, kChunkLargeArena)) {
    os::unmap(mem, kArenaSize);
    return nullptr;
  }
  resident_grow(size_t{kFirstPage} * kPageSize);   // the header, written above
  Arena** link = &g_arenas[shard];
  while (*link != nullptr) link = &(*link)->next;
  *link = a;
  return a;
}

// Makes [at, at + pages) of the free run at `first` live; the rest stays free.
void take_locked(Arena* a, uint32_t first, uint32_t at, uint32_t pages) {
  uint32_t run = a->tags[first].pages;
  uint64_t freed = a->tags[first].freed_ns;
  bin_remove(a, first);
  clear_tag(a, first);
  clear_tag(a, first + run - 1);
  if (at > first) add_free_run(a, first, at - first, freed);
  set_run(a, at, pages, false);
  uint32_t tail = first + run - (at + pages);
  if (tail > 0) add_free_run(a, at + pages, tail, freed);
  a->free_pages -= pages;
  resident_grow(size_t{mark_dirty(a, at, pages, true)} * kPageSize);
}

// Dirty page ranges a calloc must clear. Past kMaxRanges, the last range runs to the end:
// clearing a clean page too is harmless, only slower.
struct ZeroRanges {
  static constexpr unsigned kMaxRanges = 8;
  uint32_t first[kMaxRanges];
  uint32_t end[kMaxRanges];
  unsigned count = 0;
};

void collect_dirty_locked(const Arena* a, uint32_t first, uint32_t pages, ZeroRanges* z) {
  uint32_t end = first + pages;
  for_each_dirty_range(a, first, end, [&](uint32_t d, uint32_t clean) {
    if (z->count == ZeroRanges::kMaxRanges) {
      z->end[z->count - 1] = end;
      return false;
    }
    z->first[z->count] = d;
    z->end[z->count++] = clean;
    return true;
  });
}

void zero_ranges(Arena* a, const ZeroRanges& z) {
  for (unsigned i = 0; i < z.count; ++i) {
    zero_reused(page_addr(a, z.first[i]), size_t{z.end[i] - z.first[i]} * kPageSize);
  }
}

// Frees [first, first + pages), whose tags the caller has cleared, merging it with free
// neighbours.
void free_pages_locked(Arena* a, uint32_t first, uint32_t pages) {
  uint64_t now = os::now_ns();
  uint32_t end = first + pages;
  a->free_pages += pages;
  if (a->free_pages == kRunPages) a->empty_since_ns = now;
  if (first > kFirstPage && (a->tags[first - 1].flags & kTagFree) != 0) {
    uint32_t left = a->tags[first - 1].pages;
    bin_remove(a, first - left);
    clear_tag(a, first - 1);
    first -= left;
    pages += left;
  }
  if (end < kArenaPages && (a->tags[end].flags & kTagFree) != 0) {
    uint32_t right = a->tags[end].pages;
    bin_remove(a, end);
    clear_tag(a, end);
    clear_tag(a, end + right - 1);
    pages += right;
  }
  add_free_run(a, first, pages, now);
  g_arena_pending.store(true, std::memory_order_relaxed);
}

// Shrinks a live run to `pages`, freeing its tail.
void shrink_locked(Arena* a, ArenaRun* run, uint32_t pages) {
  uint32_t tail = run->pages - pages;
  clear_tag(a, run->page + run->pages - 1);
  set_run(a, run->page, pages, false);
  free_pages_locked(a, run->page + pages, tail);
  run->pages = static_cast<uint16_t>(pages);
}

// Extends a live run over its free right neighbour; false when that is not free or too small.
bool grow_locked(Arena* a, ArenaRun* run, uint32_t pages) {
  uint32_t end = run->page + run->pages;
  uint32_t extra = pages - run->pages;
  if (end >= kArenaPages || (a->tags[end].flags & kTagFree) == 0 || a->tags[end].pages < extra) {
    return false;
  }
  clear_tag(a, end - 1);
  take_locked(a, end, end, extra);
  clear_tag(a, end);
  if (extra > 1) clear_tag(a, end + extra - 1);
  set_run(a, run->page, pages, false);
  run->pages = static_cast<uint16_t>(pages);
  return true;
}

// Page `page` starts a live run whose user pointer is addr.
bool live_start(Arena* a, uint32_t page, uintptr_t addr, ArenaRun* run) {
  const RunTag& t = a->tags[page];
  if ((t.flags & (kTagStart | kTagFree)) != kTagStart) return false;
  uint32_t offset = uint32_t{t.colour} * kCacheLine;
  if (addr != reinterpret_cast<uintptr_t>(page_addr(a, page)) + offset) return false;
  if (a->cached[page].load(std::memory_order_relaxed) != 0) return false;   // freed already
  *run = ArenaRun{a, page, t.pages, static_cast<uint16_t>(offset)};
  return true;
}

}  // namespace

void zero_reused(void* p, size_t bytes) {
  auto* c = static_cast<char*>(p);
  if (bytes <= (size_t{1} << 20)) {
    memset(c, 0, bytes);
    return;
  }
  auto page = (reinterpret_cast<uintptr_t>(c) + kPageSize - 1) & ~(kPageSize - 1);
  auto end = (reinterpret_cast<uintptr_t>(c) + bytes + kPageSize - 1) & ~(kPageSize - 1);
  memset(c, 0, page - reinterpret_cast<uintptr_t>(c));
  os::discard(reinterpret_cast<void*>(page), end - page);
}

void* arena_alloc(unsigned shard, size_t size, size_t align, bool zero, size_t* usable) {
  if (size > kArenaMaxRunBytes || align > kArenaMaxAlign) return nullptr;
  arena_maybe_release_expired();
  // aligned_alloc(8192, 0) lands here too: every run has a page.
  auto pages = size == 0 ? 1 : static_cast<uint32_t>((size + kPageSize - 1) / kPageSize);
  uint32_t align_pages = align > kPageSize ? static_cast<uint32_t>(align / kPageSize) : 1;
  ZeroRanges z;
  Arena* a;
  uint32_t at;
  {
    LockGuard g(arena_shard_lock(shard));
    uint32_t first = kNoRun;
    for (a = g_arenas[shard]; a != nullptr; a = a->next) {
      first = fit_in(a, pages + align_pages - 1);
      if (first != kNoRun) break;
    }
    if (a == nullptr) {
      a = new_arena_locked(shard);
      if (a == nullptr) return nullptr;
      first = kFirstPage;
    }
    // The arena is kArenaSize-aligned, so page-index alignment is address alignment.
    at = (first + align_pages - 1) & ~(align_pages - 1);
    if (zero) collect_dirty_locked(a, at, pages, &z);
    take_locked(a, first, at, pages);
    HAKMEM_VALIDATE(validate_arena_locked(a));
  }
  zero_ranges(a, z);   // the run is ours now: no lock needed
  ArenaRun run{a, at, static_cast<uint16_t>(pages), 0};
  void* p = arena_colour(&run, size, align);
  *usable = arena_run_usable(run);
  return p;
}

void* arena_colour(ArenaRun* run, size_t size, size_t align) {
  size_t slack = arena_run_bytes(*run) - size;
  uint32_t step = align > kCacheLine ? static_cast<uint32_t>(align) : kCacheLine;
  size_t room = slack < kPageSize ? slack : kPageSize - 1;   // the offset stays in the first page
  uint32_t choices = step < kPageSize ? static_cast<uint32_t>(room / step) + 1 : 1;
  // A multiplicative hash of the run's page: neighbouring runs land far apart.
  auto page = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(arena_run_start(*run)) >> 12);
  uint32_t pick = page * 2654435761u >> 16;
  run->offset = static_cast<uint16_t>((pick % choices) * step);
  // Only the run's owner writes its start tag while it is live (arena_lookup reads it so).
  run->arena->tags[run->page].colour = static_cast<uint8_t>(run->offset / kCacheLine);
  return static_cast<char*>(arena_run_start(*run)) + run->offset;
}

bool arena_lookup(const void* p, ArenaRun* run, const char** reason) {
  auto addr = reinterpret_cast<uintptr_t>(p);
  auto* a = reinterpret_cast<Arena*>(addr & ~(kArenaSize - 1));
  if (a->magic != (kArenaMagic ^ reinterpret_cast<uintptr_t>(a))) {
    *reason = "corrupt large header";
    return false;
  }
  auto page = static_cast<uint32_t>((addr - reinterpret_cast<uintptr_t>(a)) / kPageSize);
  if (page < kFirstPage) {
    *reason = "not allocated by hakmem";
    return false;
  }
  // Without the lock: only the owner of a live run writes its start tag (free, realloc), and
  // it is the caller. A stale or racing answer for a bad pointer is caught by arena_free.
  if (live_start(a, page, addr, run)) return true;
  LockGuard g(arena_lock(a));
  if (live_start(a, page, addr, run)) return true;
  // Not a live run's start: the run holding p says why. Its start is the nearest start tag
  // at or below p (interior tags are zero, and an end tag without kStart is not a start).
  uint32_t first = page;
  while (first > kFirstPage && (a->tags[first].flags & kTagStart) == 0) --first;
  bool freed = (a->tags[first].flags & kTagFree) != 0 ||
               a->cached[first].load(std::memory_order_relaxed) != 0;
  *reason = freed ? "double free" : "interior pointer";
  return false;
}

const char* arena_free(const ArenaRun& run) {
  {
    LockGuard g(arena_lock(run.arena));
    // Two threads freeing the same run race past arena_lookup; only one finds it live here.
    ArenaRun live;
    auto user = reinterpret_cast<uintptr_t>(page_addr(run.arena, run.page)) + run.offset;
    if (!live_start(run.arena, run.page, user, &live) || live.pages != run.pages) {
      return "double free";
    }
    clear_tag(run.arena, run.page);
    clear_tag(run.arena, run.page + run.pages - 1);
    free_pages_locked(run.arena, run.page, run.pages);
    HAKMEM_VALIDATE(validate_arena_locked(run.arena));
  }
  background_notify();
  return nullptr;
}

void arena_set_cached(const ArenaRun& run, bool cached) {
  run.arena->cached[run.page].store(cached ? 1 : 0, std::memory_order_relaxed);
}

bool arena_resize_in_place(ArenaRun* run, size_t size) {
  if (size == 0 || size > kArenaSize) return false;
  auto pages = static_cast<uint32_t>((size + run->offset + kPageSize - 1) / kPageSize);
  if (pages == run->pages) return true;
  bool shrink = pages < run->pages;
  bool done = true;
  {
    LockGuard g(arena_lock(run->arena));
    if (shrink) {
      shrink_locked(run->arena, run, pages);
    } else {
      done = grow_locked(run->arena, run, pages);
    }
    HAKMEM_VALIDATE(validate_arena_locked(run->arena));
  }
  if (shrink) background_notify();
  return done;
}

}  // namespace hakmem
