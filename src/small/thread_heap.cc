// Heaps: creation from a metadata arena (never malloc), the registry that snapshots walk,
// and thread teardown. Heap structs of exited threads are reused, so thread churn costs no
// syscall after the first few threads.
#include "small/thread_heap.h"

#include <string.h>

#include "base/size_classes.h"
#include "counters/resident.h"
#include "counters/segment_storage.h"
#include "os/os.h"
#include "os/thread_id.h"
#include "os/threads.h"
#include "small/cache_capacity.h"
#include "small/orphans.h"
#include "small/reclaim.h"
#include "small/refill.h"
#include "small/remote_list.h"
#include "small/shared_pool.h"
#include "small/slab.h"
#include "support/decay.h"
#include "support/env_config.h"
#include "sync/background.h"
#include "sync/lock.h"
#include "telemetry/segment.h"

namespace hakmem {

namespace {

constexpr size_t kArenaChunk = 256 * 1024;
// A thread's remote frees within which it may still take over its preferred heap (above
// Larson's 5000 inherited blocks per lane: its predecessor may be off the CPU for a while).
constexpr uint16_t kTakeoverFrees = 65535;

ThreadHeap* g_registry;        // live and parked heaps (registry lock)
ThreadHeap* g_parked;          // parked heaps, newest first, linked by park_next (registry lock)
std::atomic<uint32_t> g_parked_count{0};
ThreadHeap* g_free_heaps;      // retired heap structs for reuse, linked by reg_next
char* g_arena_cursor;
char* g_arena_end;
os::ThreadKey g_exit_key;
bool g_exit_key_ok;
ExitStep g_exit_first = nullptr;   // set once, before any thread can exit

// Registry lock held: takes *link's heap off the parked list. Its parked flag, which reclaim
// scans read without the lock (heap.h), goes with it: every path off the list comes here.
void unlink_parked(ThreadHeap** link) {
  ThreadHeap* h = *link;
  *link = h->park_next;
  h->ready.parked.store(false, std::memory_order_relaxed);
  g_parked_count.fetch_sub(1, std::memory_order_relaxed);
}

// Registry lock held: puts h, whose cache tc.cls was copied into parked_cache, on the parked list.
void push_parked_locked(ThreadHeap* h) {
  h->parked_at_ns = os::now_ns();
  h->park_next = g_parked;
  h->ready.parked.store(true, std::memory_order_relaxed);
  g_parked = h;
  g_parked_count.fetch_add(1, std::memory_order_relaxed);
}

// tc now serves h: the fields the fast and slow paths copy from it.
void attach(ThreadCache& tc, ThreadHeap* h) {
  tc.heap = h;
  tc.slot = h != nullptr ? h->slot : nullptr;
  tc.cls = h != nullptr ? caches_of(h) : g_no_caches;
  tc.tag_secret = g_free_secret;
}

uint32_t g_fork_heaps_locked;   // heaps of the table (reclaim.h) whose locks the fork holds

ThreadHeap* heap_create() {
  ThreadHeap* h;
  bool fresh = false;
  {
    LockGuard g(lock_of(kLockHEAP_REGISTRY));
    h = g_free_heaps;
    if (h != nullptr) {
      g_free_heaps = h->reg_next;
    } else {
      constexpr size_t kSize = (sizeof(ThreadHeap) + 63) & ~size_t{63};
      if (g_arena_cursor == nullptr || g_arena_end - g_arena_cursor < static_cast<long>(kSize)) {
        auto* chunk = static_cast<char*>(os::map(kArenaChunk));
        if (chunk == nullptr) return nullptr;
        g_arena_cursor = chunk;
        g_arena_end = chunk + kArenaChunk;
      }
      h = reinterpret_cast<ThreadHeap*>(g_arena_cursor);
      resident_grow(pages_reached(reinterpret_cast<uintptr_t>(g_arena_cursor),
                                  reinterpret_cast<uintptr_t>(g_arena_cursor + kSize)));
      g_arena_cursor += kSize;
      fresh = true;
    }
  }
  // A recycled heap keeps its slot (the counts of its past threads stay) and its table entry.
  hak_seg_slot* slot = fresh ? nullptr : h->slot;
  uint32_t index = fresh ? kHeapUnlisted : h->index;
  {
    // A reclaim scan finds every listed heap, this one too: its lock, not the registry's,
    // keeps it out while everything but the ready stacks and the lock is cleared (a fresh
    // heap is zero already, and unlisted).
    LockGuard hl(h->lock);
    auto* from = reinterpret_cast<char*>(&h->slabs);
    memset(from, 0, static_cast<size_t>(reinterpret_cast<char*>(h + 1) - from));
    h->index = index;
  }
  LockGuard g(lock_of(kLockHEAP_REGISTRY));
  if (slot == nullptr) slot = segment_claim_slot_locked();
  h->slot = slot != nullptr ? slot : &h->own_slot;
  if (fresh) h->index = heap_table_add_locked(h);
  h->reg_next = g_registry;
  if (g_registry != nullptr) g_registry->reg_prev = h;
  g_registry = h;
  return h;
}

void heap_retire(ThreadHeap* h) {
  LockGuard g(lock_of(kLockHEAP_REGISTRY));
  if (h->slot == &h->own_slot) segment_retire_own_slot_locked(&h->own_slot);
  if (h->reg_prev != nullptr) h->reg_prev->reg_next = h->reg_next; else g_registry = h->reg_next;
  if (h->reg_next != nullptr) h->reg_next->reg_prev = h->reg_prev;
  h->reg_prev = nullptr;
  h->reg_next = g_free_heaps;
  g_free_heaps = h;
}

// Every slab of h leaves it: empty ones to the pool, the rest orphaned for adoption.
void heap_abandon(ThreadHeap* h) {
  remote_ready_clear(h);
  for (unsigned cls = 0; cls < kNumClasses; ++cls) {
    ClassSlabs* cs = &h->slabs[cls];
    if (cs->bound != nullptr) owned_push_back(cs, cs->bound);
    cs->bound = nullptr;
    while (cs->head != nullptr) {
      SlabMeta* m = cs->head;
      owned_unlink(cs, m);
      if (m->used == 0) {
        heap_release_empty_slab(h, m);
      } else {
        orphan_push(m);   // still in use: it keeps counting in slabs_in_use
      }
    }
  }
  pool_return_heap_reserve(h);
}

// Flushes a cache into its heap's slabs and dissolves the heap: slabs released or orphaned,
// counters retired. The caller is the heap's only user (its thread, or whoever unparked it).
// The heap's lock is released before the registry's is taken (the order of HAK_LOCKS).
void heap_dissolve(ThreadCache& tc) {
  {
    HeapGuard g(tc.heap);
    large_flush_local(&tc.heap->large);
    for (unsigned cls = 0; cls < kNumClasses; ++cls) flush_all_locked(tc, cls);
    heap_abandon(tc.heap);
  }
  heap_retire(tc.heap);
}

// Parks h with the cache tc had, if there is room. Thread churn then costs no flush, orphaning
// or adoption: the next new thread takes the heap whole, slabs, cached blocks and all. The
// caches stay in the slot; parked_cache is a private copy for a fork child (see
// caches_after_fork_child), since the slot is shared with the parent.
bool park(ThreadCache& tc) {
  if (g_parked_count.load(std::memory_order_relaxed) >= config().park_heaps) return false;
  ThreadHeap* h = tc.heap;
  memcpy(static_cast<void*>(h->parked_cache), tc.cls, sizeof h->parked_cache);
  LockGuard g(lock_of(kLockHEAP_REGISTRY));
  if (g_parked_count.load(std::memory_order_relaxed) >= config().park_heaps) return false;
  push_parked_locked(h);
  return true;
}

// Takes `prefer` if it is parked, else the newest parked heap.
ThreadHeap* unpark(const ThreadHeap* prefer) {
  if (g_parked_count.load(std::memory_order_relaxed) == 0) return nullptr;
  LockGuard g(lock_of(kLockHEAP_REGISTRY));
  ThreadHeap** link = &g_parked;
  if (prefer != nullptr) {
    for (ThreadHeap** l = &g_parked; *l != nullptr; l = &(*l)->park_next) {
      if (*l == prefer) {
        link = l;
        break;
      }
    }
  }
  if (prefer != nullptr && *link != prefer) {
    // Missed: the oldest, the least likely to be another new thread's preferred one.
    while (*link != nullptr && (*link)->park_next != nullptr) link = &(*link)->park_next;
  }
  ThreadHeap* h = *link;
  if (h != nullptr) unlink_parked(link);
  return h;
}

void thread_exit(void* arg) {
  auto* tc = static_cast<ThreadCache*>(arg);
  if (tc->state != kCacheActive) return;
  if (g_exit_first != nullptr) g_exit_first(*tc);
  seg_add(process_counts().threads_exited, 1);
  // Once parked, the heap may belong to another thread at any moment: this thread's cache is
  // torn down before anything here can allocate again (background_notify may start a thread,
  // which allocates: a dissolution's start is deferred until then too).
  background_defer_begin();
  bool parked = park(*tc);
  if (!parked) heap_dissolve(*tc);
  attach(*tc, nullptr);
  tc->state = kCacheTornDown;
  // First, so that the notify below cannot start a helper this exit would have to stop.
  background_app_thread_exiting();
  if (parked) background_notify();
  background_defer_end();
}

}  // namespace

bool take_over_parked_owner(ThreadCache& tc, ThreadHeap* owner) {
  --tc.takeover;
  if (owner == nullptr || !owner->ready.parked.load(std::memory_order_relaxed)) return false;
  ThreadHeap* mine = tc.heap;
  memcpy(static_cast<void*>(mine->parked_cache), tc.cls, sizeof mine->parked_cache);
  {
    LockGuard g(lock_of(kLockHEAP_REGISTRY));
    ThreadHeap** link = &g_parked;
    while (*link != nullptr && *link != owner) link = &(*link)->park_next;
    if (*link == nullptr) return false;
    // The swap keeps the parked count: owner off the list, this thread's heap on it.
    unlink_parked(link);
    push_parked_locked(mine);
  }
  std::atomic_ref<int32_t>(owner->slot->tid).store(os::thread_tid(), std::memory_order_relaxed);
  attach(tc, owner);
  tc.takeover = 0;
  return true;
}

bool thread_cache_start(const ThreadHeap* prefer) {
  if (t_cache.state == kCacheTornDown) return false;
  release_expired_parked(false);
  ThreadHeap* h = unpark(prefer);
  bool fresh = h == nullptr;
  if (fresh) h = heap_create();
  if (h == nullptr) return false;
  std::atomic_ref<int32_t>(h->slot->tid).store(os::thread_tid(), std::memory_order_relaxed);
  seg_add(process_counts().threads_started, 1);
  attach(t_cache, h);
  if (fresh) set_cache_caps(t_cache);
  t_cache.takeover = prefer != nullptr && h != prefer ? kTakeoverFrees : 0;
  t_cache.state = kCacheActive;
  // May allocate (pthread's second-level key array); the cache is already usable then.
  // Counted only with its exit hook in place: an uncounted thread can keep the helper away,
  // but a counted one that never un-counts would keep it alive.
  if (g_exit_key_ok && os::thread_key_set(g_exit_key, &t_cache)) {
    background_app_thread_started();
  }
  return true;
}

void thread_heap_init_globals(ExitStep exit_first) {
  g_exit_first = exit_first;
  g_exit_key_ok = os::thread_key_create(&g_exit_key, thread_exit);
  attach(g_global_cache, heap_create());
  if (g_global_cache.heap != nullptr) {
    set_cache_caps(g_global_cache);
    g_global_cache.state = kCacheActive;
  }
}

size_t release_expired_parked(bool force) {
  if (g_parked_count.load(std::memory_order_relaxed) == 0) return 0;
  uint64_t now = os::now_ns();
  ThreadHeap* doomed = nullptr;
  {
    LockGuard g(lock_of(kLockHEAP_REGISTRY));
    for (ThreadHeap** link = &g_parked; *link != nullptr;) {
      ThreadHeap* h = *link;
      if (force || decayed(h->parked_at_ns, now)) {
        unlink_parked(link);
        h->park_next = doomed;
        doomed = h;
      } else {
        link = &h->park_next;
      }
    }
  }
  size_t n = 0;
  while (doomed != nullptr) {
    ThreadHeap* h = doomed;
    doomed = h->park_next;
    ThreadCache tc{};
    attach(tc, h);
    tc.state = kCacheActive;
    heap_dissolve(tc);
    ++n;
  }
  return n;
}

namespace {
// At fork, the caches only the child can use: the forking thread's and the global heap's.
// Private memory, so the child finds them as they were when it was made.
ClassCache g_fork_stash[2][kNumClasses];
bool g_fork_stashed[2];
}  // namespace

void caches_before_fork() {
  g_fork_stashed[0] = t_cache.state == kCacheActive;
  if (g_fork_stashed[0]) memcpy(static_cast<void*>(g_fork_stash[0]), t_cache.cls, sizeof g_fork_stash[0]);
  g_fork_stashed[1] = g_global_cache.heap != nullptr;
  if (g_fork_stashed[1]) memcpy(static_cast<void*>(g_fork_stash[1]), g_global_cache.cls, sizeof g_fork_stash[1]);
}

void caches_after_fork_child(bool segment_private) {
  if (!segment_private) {
    // The slots are still the parent's pages: this child's two heaps move into their own
    // slots (private memory, as heaps beyond the segment's slots), with their caches as they
    // were; the parked and retired heaps, whose caches are in those pages too, are left alone
    // (new heaps get own slots: segment.cc claims no more).
    ThreadCache* users[2] = {&t_cache, &g_global_cache};
    for (int i = 0; i < 2; ++i) {
      if (!g_fork_stashed[i]) continue;
      ThreadHeap* h = users[i]->heap;
      memset(static_cast<void*>(&h->own_slot), 0, sizeof h->own_slot);
      h->slot = &h->own_slot;
      attach(*users[i], h);
      memcpy(static_cast<void*>(users[i]->cls), g_fork_stash[i], sizeof g_fork_stash[i]);
    }
    g_parked = nullptr;
    g_parked_count.store(0, std::memory_order_relaxed);
    g_free_heaps = nullptr;
    return;
  }
  if (g_fork_stashed[0]) memcpy(static_cast<void*>(t_cache.cls), g_fork_stash[0], sizeof g_fork_stash[0]);
  if (g_fork_stashed[1]) memcpy(static_cast<void*>(g_global_cache.cls), g_fork_stash[1], sizeof g_fork_stash[1]);
  // Every other cache holds what the parent did with it after the fork too: other threads'
  // (not in the child) and retired heaps' (a parent thread may have taken one since) lose
  // their lists, keeping their counts. Parked heaps get back the caches they were parked with.
  auto drop_lists = [](ThreadHeap* h) {
    ClassCache* cc = caches_of(h);
    for (unsigned c = 0; c < kNumClasses; ++c) {
      cc[c].head = nullptr;
      cc[c].fill &= ~kCountMask;
    }
  };
  for (ThreadHeap* h = g_registry; h != nullptr; h = h->reg_next) {
    if (h != t_cache.heap && h != g_global_cache.heap) drop_lists(h);
  }
  for (ThreadHeap* h = g_free_heaps; h != nullptr; h = h->reg_next) drop_lists(h);
  for (ThreadHeap* h = g_parked; h != nullptr; h = h->park_next) {
    memcpy(static_cast<void*>(caches_of(h)), h->parked_cache, sizeof h->parked_cache);
  }
}

void counts_restart_after_fork_child() {
  hak_seg_process& p = process_counts();
  int64_t live[kNumClasses];
  for (unsigned c = 0; c < kNumClasses; ++c) live[c] = static_cast<int64_t>(p.inherited_blocks[c]);
  auto restart = [&live](hak_seg_slot& s) {
    for (unsigned c = 0; c < kNumClasses; ++c) {
      hak_seg_class_counters& k = s.classes[c];
      hak_seg_cache& cc = s.caches[c];
      live[c] += static_cast<int64_t>(k.allocs + cc.allocs) - static_cast<int64_t>(k.frees + (cc.fill >> kFreesShift));
      k = hak_seg_class_counters{};
      cc.allocs = 0;
      cc.fill &= kCountMask;
    }
  };
  // Every record a reader sums, and the slot-less heaps collect_stats adds (stats.cc). Slots
  // never handed out are zero (and left untouched: their pages stay unmapped in the copy).
  for (unsigned i = 0; i < segment_slots_in_use(); ++i) restart(g_segment.slots[i]);
  for (ThreadHeap* h = g_registry; h != nullptr; h = h->reg_next) {
    if (h->slot == &h->own_slot) restart(h->own_slot);
  }
  for (unsigned c = 0; c < kNumClasses; ++c) p.inherited_blocks[c] = live[c] > 0 ? static_cast<uint64_t>(live[c]) : 0;
  segment_restart_counts_after_fork(t_cache.state == kCacheActive);
  resident_peak_after_fork_child();
}

void heaps_lock_for_fork() {
  g_fork_heaps_locked = heap_table_size();
  for (uint32_t i = 0; i < g_fork_heaps_locked; ++i) heap_table_at(i)->lock.lock();
}

void heaps_unlock_after_fork(bool child) {
  for (uint32_t i = g_fork_heaps_locked; i-- > 0;) heap_table_at(i)->lock.release_after_fork(child);
  if (!child) return;
  // A heap listed after the fork's handler read the table (or beyond it) was not locked: its
  // lock and lists are as a parent thread left them, maybe mid-way. Never unparked here; its
  // slabs keep their owner (a reclaim finds its lock held, or the heap consistent).
  for (ThreadHeap** link = &g_parked; *link != nullptr;) {
    ThreadHeap* h = *link;
    if (h->index >= g_fork_heaps_locked) {
      unlink_parked(link);
    } else {
      link = &h->park_next;
    }
  }
}

bool parked_heaps_pending() { return g_parked_count.load(std::memory_order_relaxed) != 0; }

LargeLocal* large_local_for_alloc() { return thread_cache_ready() ? &t_cache.heap->large : nullptr; }
LargeLocal* large_local_for_free() {
  return t_cache.state == kCacheActive ? &t_cache.heap->large : nullptr;
}

void registry_lock() { lock_of(kLockHEAP_REGISTRY).lock(); }
void registry_unlock() { lock_of(kLockHEAP_REGISTRY).unlock(); }
ThreadHeap* registry_first() { return g_registry; }

}  // namespace hakmem
