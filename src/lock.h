// The one lock type of the allocator. Every lock is a named Lock from HAK_LOCKS, so each
// acquisition is counted: acquisitions, contended acquisitions, wait time (total, max) and
// hold time. Locks live only on slow paths (pool, orphans, large cache, registry), which is
// why reading the clock on acquire/release is affordable.
//
// A futex mutex (0 free, 1 held, 2 held with waiters). Stats fields are written only by the
// holder, and read racily by snapshots, hence relaxed atomics. Never allocates.
#pragma once
#include <atomic>
#include <cstdint>

#include "constants.h"

namespace hakmem {

enum LockId : unsigned {
#define HAK_X_ENUM(id, name) kLock##id,
  HAK_LOCKS(HAK_X_ENUM)
#undef HAK_X_ENUM
};

class Lock {
 public:
  void lock();
  void unlock();
  // fork support: the child re-arms a lock its parent held across fork().
  void reset_after_fork() { state_.store(0, std::memory_order_relaxed); }

  uint64_t acquisitions() const { return acquisitions_.load(std::memory_order_relaxed); }
  uint64_t contended() const { return contended_.load(std::memory_order_relaxed); }
  uint64_t wait_ns_total() const { return wait_total_.load(std::memory_order_relaxed); }
  uint64_t wait_ns_max() const { return wait_max_.load(std::memory_order_relaxed); }
  uint64_t hold_ns_total() const { return hold_total_.load(std::memory_order_relaxed); }

 private:
  void lock_contended(uint64_t start);
  void add(std::atomic<uint64_t>& c, uint64_t v) {
    c.store(c.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
  }

  std::atomic<uint32_t> state_{0};
  uint64_t acquired_at_ = 0;
  std::atomic<uint64_t> acquisitions_{0};
  std::atomic<uint64_t> contended_{0};
  std::atomic<uint64_t> wait_total_{0};
  std::atomic<uint64_t> wait_max_{0};
  std::atomic<uint64_t> hold_total_{0};
};

Lock& lock_of(LockId id);

class LockGuard {
 public:
  explicit LockGuard(Lock& l) : l_(l) { l_.lock(); }
  ~LockGuard() { l_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Lock& l_;
};

// fork(): take every lock in LockId order before, release (parent) or re-arm (child) after.
void lock_all_for_fork();
void unlock_all_after_fork(bool child);

}  // namespace hakmem
