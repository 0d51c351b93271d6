// The instrumented futex lock and the table of named locks.
#include "sync/lock.h"

#include "os/os.h"
#include "counters/segment_storage.h"
#include "os/threads.h"

namespace hakmem {
namespace {

// The named locks, then arena shards 1.. (shard 0 is g_locks[kLockLARGE_ARENA]). The entry of
// kLockHEAP is never used: heap locks live in their heaps.
constexpr unsigned kAllLocks = kNumLocks + kArenaShards - 1;
Lock g_locks[kAllLocks];

unsigned table_index(unsigned s) { return s == 0 ? kLockLARGE_ARENA : kNumLocks + s - 1; }

hak_seg_lock& stats_of(const Lock* l) {
  auto at = reinterpret_cast<uintptr_t>(l), first = reinterpret_cast<uintptr_t>(g_locks);
  if (at < first || at >= first + sizeof g_locks) return g_segment.locks[kLockHEAP];
  auto i = static_cast<unsigned>(l - g_locks);
  return g_segment.locks[i < kNumLocks ? i : kLockLARGE_ARENA];
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

bool Lock::try_lock() {
  uint32_t expected = 0;
  if (state_.load(std::memory_order_relaxed) != 0 ||
      !state_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                      std::memory_order_relaxed)) {
    return false;
  }
  acquired_at_ = os::now_ns();
  seg_add(stats_of(this).acquisitions, 1);
  return true;
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
Lock& arena_shard_lock(unsigned s) { return g_locks[table_index(s)]; }

void lock_all_for_fork(void (*lock_heaps)()) {
  g_locks[kLockGLOBAL_HEAP].lock();
  lock_heaps();
  for (unsigned i = 0; i < kAllLocks; ++i) {
    if (i != kLockGLOBAL_HEAP && i != kLockHEAP) g_locks[i].lock();
  }
}

void unlock_all_after_fork(bool child, void (*unlock_heaps)(bool child)) {
  for (unsigned i = kAllLocks; i-- > 0;) {
    if (i != kLockGLOBAL_HEAP && i != kLockHEAP) g_locks[i].release_after_fork(child);
  }
  unlock_heaps(child);
  g_locks[kLockGLOBAL_HEAP].release_after_fork(child);
}

}  // namespace hakmem
