// The large arenas' decay: free runs that stayed free for HAKMEM_DECAY_MS give their dirty
// pages back (MADV_DONTNEED, so they read as zero and leave the RSS), and arenas without a
// live run for that long are unmapped. Run by the background thread, by large allocations (at
// most once per eighth of the decay, which covers HAKMEM_BG_RELEASE=0), and by malloc_trim
// (force: now).
// Discards happen under the lock: a run discarded outside it could be handed out and written
// meanwhile, and the discard would zero the new owner's data.
#include <atomic>

#include "counters/resident.h"
#include "large/arena_layout.h"
#include "support/decay.h"
#include "os/os.h"
#include "base/page_map.h"

namespace hakmem {
namespace {

std::atomic<uint64_t> g_next_expiry_check{0};

// Discards the dirty pages of a's free runs that have decayed; sets *pending when younger
// dirty free runs remain.
size_t discard_expired_locked(Arena* a, uint64_t now, bool force, bool* pending) {
  size_t bytes = 0;
  for (uint32_t i = kFirstPage; i < kArenaPages && a->tags[i].pages != 0; i += a->tags[i].pages) {
    const RunTag& t = a->tags[i];
    uint32_t end = i + t.pages;
    if ((t.flags & kTagFree) == 0 || next_dirty(a, i, end, true) == end) continue;
    if (!force && !decayed(t.freed_ns, now)) {
      *pending = true;
      continue;
    }
    for_each_dirty_range(a, i, end, [&](uint32_t d, uint32_t clean) {
      os::discard(page_addr(a, d), size_t{clean - d} * kPageSize);
      bytes += size_t{clean - d} * kPageSize;
      resident_shrink(size_t{mark_dirty(a, d, clean - d, false)} * kPageSize);
      return true;
    });
  }
  return bytes;
}

}  // namespace

size_t arena_release_expired(bool force) {
  // Cleared before the pass and set again after it if work remains: a run freed meanwhile sets
  // it too, and no pass ever stores false over that.
  if (!g_arena_pending.exchange(false, std::memory_order_relaxed) && !force) return 0;
  size_t bytes = 0;
  Arena* doomed = nullptr;
  bool pending = false;
  for (unsigned shard = 0; shard < kArenaShards; ++shard) {
    LockGuard g(arena_shard_lock(shard));
    uint64_t now = os::now_ns();   // read under the lock: no run of the shard was freed after it
    for (Arena** link = &g_arenas[shard]; *link != nullptr;) {
      Arena* a = *link;
      if (a->free_pages == kRunPages && (force || decayed(a->empty_since_ns, now))) {
        *link = a->next;
        a->next = doomed;
        doomed = a;
        continue;
      }
      pending |= a->free_pages == kRunPages;
      bytes += discard_expired_locked(a, now, force, &pending);
      link = &a->next;
    }
  }
  if (pending) g_arena_pending.store(true, std::memory_order_relaxed);
  // Unreachable now (no live run, off the list): unmapped outside the lock.
  while (doomed != nullptr) {
    Arena* next = doomed->next;
    page_map_clear(reinterpret_cast<uintptr_t>(doomed), kArenaSize);
    resident_shrink(size_t{kFirstPage + dirty_pages(doomed)} * kPageSize);
    os::unmap(doomed, kArenaSize);
    bytes += kArenaSize;
    doomed = next;
  }
  return bytes;
}

void arena_maybe_release_expired() {
  if (g_arena_pending.load(std::memory_order_relaxed) && decay_check_due(g_next_expiry_check)) {
    arena_release_expired(false);
  }
}

bool arena_pending() { return g_arena_pending.load(std::memory_order_relaxed); }

}  // namespace hakmem
