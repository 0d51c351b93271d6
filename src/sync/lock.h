// The one lock type of the allocator. Every lock is a named Lock from HAK_LOCKS, so each
// acquisition is counted: acquisitions, contended acquisitions, wait time (total, max) and
// hold time. Locks live only on slow paths (the seven of HAK_LOCKS: global_heap, pool, orphans,
// large_cache, heap_registry, large_arena, heap), which is why reading the clock on acquire and
// release is affordable.
//
// A futex mutex (0 free, 1 held, 2 held with waiters). Its stats are the segment's lock record
// of the same name (g_segment.locks), read racily by snapshots and other processes. The
// large_arena record counts every arena shard's lock, and the heap record every heap's lock
// (a Lock that is not in the table here: it lives in its ThreadHeap, zero-initialised), so all
// updates are atomic adds. Never allocates.
#pragma once
#include <atomic>
#include <cstdint>

#include "base/constants.h"

namespace hakmem {

enum LockId : unsigned {
#define HAK_X_ENUM(id, name) kLock##id,
  HAK_LOCKS(HAK_X_ENUM)
#undef HAK_X_ENUM
};

class Lock {
 public:
  void lock();
  // Takes the lock if it is free, never waiting; a failed try is not counted.
  bool try_lock();
  void unlock();
  // fork support: the child re-arms a lock its parent held across fork().
  void reset_after_fork() { state_.store(0, std::memory_order_relaxed); }
  // After fork(), a lock taken before it: released in the parent, re-armed in the child.
  void release_after_fork(bool child) {
    if (child) reset_after_fork(); else unlock();
  }

 private:
  void lock_contended(uint64_t start);

  std::atomic<uint32_t> state_{0};
  uint64_t acquired_at_ = 0;
};

Lock& lock_of(LockId id);
// The large_arena lock of arena shard s (< kArenaShards); lock_of(kLockLARGE_ARENA) is shard 0.
Lock& arena_shard_lock(unsigned s);

class LockGuard {
 public:
  explicit LockGuard(Lock& l) : l_(l) { l_.lock(); }
  ~LockGuard() { l_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Lock& l_;
};

// fork(): take every lock in the order of HAK_LOCKS' comment before: global_heap, then
// lock_heaps() (which takes every heap's), then the others in LockId order (arena shards in
// order, last); after, release (parent) or re-arm (child) them in reverse, unlock_heaps(child)
// last.
void lock_all_for_fork(void (*lock_heaps)());
void unlock_all_after_fork(bool child, void (*unlock_heaps)(bool child));

}  // namespace hakmem
