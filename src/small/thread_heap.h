// Heaps' lifecycle: a thread's heap made or taken over at its first slow path, parked or
// dissolved at its exit, the registry of live heaps, and the global heap. A thread's cache starts in kCacheNew (cap 0, so every fast path misses); the first slow
// path creates its heap. At thread exit (a pthread key destructor) the cache is flushed, the
// heap's slabs are released or orphaned, its counters retired, and the cache goes to
// kCacheTornDown: later calls from that thread (other TLS destructors) use the global heap
// under its lock.
#pragma once
#include <cstddef>
#include <cstdint>

#include "base/hints.h"
#include "large/large.h"
#include "small/heap.h"
#include "small/thread_cache.h"

namespace hakmem {

// Creates the calling thread's heap if its cache is new: `prefer` if it is parked, else the
// newest parked heap, else a new one. A thread whose first call frees a block prefers the
// block's heap, so a worker that inherits its exited predecessor's blocks (a thread pool, or
// Larson's lanes) frees them locally. Returns false when the thread must use the global heap
// (torn down, or no memory for a heap).
// The caller has run ensure_initialized() (core/init.h). Inline for the active cache, which
// every slow path of a running thread has: one TLS load.
// The rest of it, for a cache that is not active (thread_cache_ready checked).
bool thread_cache_start(const ThreadHeap* prefer);
inline bool thread_cache_ready(const ThreadHeap* prefer = nullptr) {
  return HAKMEM_LIKELY(t_cache.state == kCacheActive) || thread_cache_start(prefer);
}
// A thread that did not get the heap it preferred (its predecessor had not exited yet) frees
// a block of `owner` while still within its first remote frees (ThreadCache::takeover): if
// owner is parked by now, the thread parks its own heap and takes owner. True when tc's heap
// is owner then. The calling thread's own cache only.
bool take_over_parked_owner(ThreadCache& tc, ThreadHeap* owner);
// The calling thread's heap's large-wing state for an allocation (its heap is created if need
// be) or a free (nullptr when it has none); nullptr: the large wing takes its locks.
LargeLocal* large_local_for_alloc();
LargeLocal* large_local_for_free();
// Parked heaps (HAKMEM_PARK_HEAPS): dissolves those parked longer than the decay (all when
// force), so their memory can be reused or returned. Returns how many were dissolved.
size_t release_expired_parked(bool force);
bool parked_heaps_pending();

// At init, after the configuration and the free-tag secret: the thread-exit key and the
// global heap. exit_first: what a thread's exit does before its heap is parked or dissolved,
// while the thread is still the heap's user (core's remote outbox flush, which may report a
// double free: a layer above this one).
using ExitStep = void (*)(ThreadCache&);
void thread_heap_init_globals(ExitStep exit_first);

// fork(): before, with every lock held, keeps the caches the child will use; in the child,
// before anything allocates, gives them back and drops the other threads' lists (the caches
// are in the slots, which the parent keeps writing). segment_private: the child's segment is
// its own memory (telemetry/segment.h); when not, the child's caches leave it.
void caches_before_fork();
void caches_after_fork_child(bool segment_private);
// fork child with a private segment, after caches_after_fork_child: every slot's counts (its
// own or the segment's) start at zero, the blocks live at the fork kept as the process's
// inherited_blocks (telemetry_abi.h), the caches' lists and block counts as they are.
void counts_restart_after_fork_child();

// fork(), inside lock_all_for_fork (sync/lock.h): takes the lock of every heap in the table;
// after, releases (parent) or re-arms (child) them. The child also drops from the parked list
// the heaps made while the fork was under way, whose locks were not taken.
void heaps_lock_for_fork();
void heaps_unlock_after_fork(bool child);

// The registry of live heaps (the global heap included), walked by stats under its lock.
// After fork() the child keeps the forking thread's heap; other threads' heaps stay
// registered (their slabs keep their owners; blocks freed into them go to their remote lists).
void registry_lock();
void registry_unlock();
ThreadHeap* registry_first();

}  // namespace hakmem
