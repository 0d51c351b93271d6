// The instrumented futex lock and the table of named locks.
#include "sync/lock.h"

#include "os/os.h"
#include "counters/segment_storage.h"
#include "os/threads.h"

namespace hakmem {
namespace {

static_assert(kLockLARGE_ARENA == kNumLocks - 1, "the arena shards' locks follow the named ones");
constexpr unsigned kAllLocks = kNumLocks + kArenaShards - 1;
Lock g_locks[kAllLocks];

hak_seg_lock& stats_of(const Lock* l) {
  auto i = static_cast<unsigned>(l - g_locks);
  return g_segment.locks[i < kLockLARGE_ARENA ? i : kLockLARGE_ARENA];
}

}  // namespace

void Lock::lock() {
  uint32_t expected = 0;
  // The wait clock starts at the failed CAS: an uncontended acquisition reads the clock once.
  if (!state_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                      std::memory_order_relaxed)) {
    lock_contended(os::now_ns());
  }
  acquired_at_ = os::now_ns();
  seg_add(stats_of(this).acquisitions, 1);
}

void Lock::lock_contended(uint64_t start) {
  // Spin briefly: pool critical sections are a few hundred instructions.
  for (int i = 0; i < 100; ++i) {
    uint32_t expected = 0;
    if (state_.load(std::memory_order_relaxed) == 0 &&
        state_.compare_exchange_weak(expected, 1, std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
      goto acquired;
    }
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  while (state_.exchange(2, std::memory_order_acquire) != 0) os::futex_wait(&state_, 2);
acquired:
  uint64_t waited = os::now_ns() - start;
  hak_seg_lock& s = stats_of(this);
  seg_add(s.contended, 1);
  seg_add(s.wait_ns_total, waited);
  seg_max(s.wait_ns_max, waited);
}

void Lock::unlock() {
  seg_add(stats_of(this).hold_ns_total, os::now_ns() - acquired_at_);
  if (state_.exchange(0, std::memory_order_release) == 2) os::futex_wake(&state_, 1);
}

Lock& lock_of(LockId id) { return g_locks[id]; }
Lock& arena_shard_lock(unsigned s) { return g_locks[kLockLARGE_ARENA + s]; }

void lock_all_for_fork() {
  for (unsigned i = 0; i < kAllLocks; ++i) g_locks[i].lock();
}

void unlock_all_after_fork(bool child) {
  for (unsigned i = kAllLocks; i-- > 0;) {
    if (child) {
      g_locks[i].reset_after_fork();
    } else {
      g_locks[i].unlock();
    }
  }
}

}  // namespace hakmem
