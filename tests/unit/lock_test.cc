// sync/lock.h: the instrumented futex lock, on the allocator's own named locks (no other
// thread uses the allocator while these run, so their records move only by this test).
// Invariants: a LockGuard excludes every other holder (a plain counter incremented under it
// from several threads ends exact, and TSan sees the lock's acquire/release order it); every
// acquisition counts once in g_segment.locks[id].acquisitions, a contended one also in
// `contended` with its wait in wait_ns_total and wait_ns_max; hold_ns_total grows by at least
// the time the lock was held; the arena shards' locks count into the large_arena record;
// a Lock outside the table (a heap's) counts into the heap record; try_lock takes a free lock
// (counted) and fails on a held one (not counted); lock_all_for_fork / unlock_all_after_fork(false)
// leave every lock free and usable, the heaps' included, and reset_after_fork re-arms a lock
// that was held.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "counters/segment_storage.h"
#include "sync/lock.h"

namespace {

using namespace hakmem;

constexpr unsigned kThreads = 4;
constexpr unsigned kIterations = 2000;

hak_seg_lock record(LockId id) {
  const hak_seg_lock& r = g_segment.locks[id];
  return hak_seg_lock{seg_load(r.acquisitions), seg_load(r.contended), seg_load(r.wait_ns_total),
                      seg_load(r.wait_ns_max), seg_load(r.hold_ns_total)};
}

// Takes l from another thread while this one holds it, until an acquisition was contended
// (the other thread may only reach its lock() after the holder let go; each round holds a
// little longer). Returns the rounds it took, 0 if none was contended.
unsigned contend(Lock& l, LockId id) {
  for (unsigned round = 1; round <= 50; ++round) {
    uint64_t contended = record(id).contended;
    std::atomic<bool> trying{false};
    l.lock();
    std::thread waiter([&] {
      trying.store(true);
      LockGuard g(l);
    });
    while (!trying.load()) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(round));
    l.unlock();
    waiter.join();
    if (record(id).contended > contended) return round;
  }
  return 0;
}

}  // namespace

TEST(Lock, GuardExcludesEveryOtherHolder) {
  Lock& l = lock_of(kLockORPHANS);
  hak_seg_lock before = record(kLockORPHANS);
  uint64_t counter = 0;   // plain: only the lock orders the threads' increments
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      for (unsigned i = 0; i < kIterations; ++i) {
        LockGuard g(l);
        uint64_t seen = counter;
        if (i % 64 == 0) std::this_thread::yield();   // a holder preempted mid-update
        counter = seen + 1;
      }
    });
  }
  go.store(true);
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter, uint64_t{kThreads} * kIterations);
  hak_seg_lock after = record(kLockORPHANS);
  EXPECT_EQ(after.acquisitions - before.acquisitions, uint64_t{kThreads} * kIterations);
  EXPECT_LE(after.contended - before.contended, after.acquisitions - before.acquisitions);
  EXPECT_GE(after.hold_ns_total, before.hold_ns_total);
}

TEST(Lock, ContendedAcquisitionCountsItsWait) {
  hak_seg_lock before = record(kLockLARGE_CACHE);
  unsigned rounds = contend(lock_of(kLockLARGE_CACHE), kLockLARGE_CACHE);
  ASSERT_GT(rounds, 0u) << "no acquisition was ever contended";
  hak_seg_lock after = record(kLockLARGE_CACHE);
  // Each round: the holder's and the waiter's acquisition.
  EXPECT_EQ(after.acquisitions - before.acquisitions, 2u * rounds);
  EXPECT_GE(after.contended - before.contended, 1u);
  EXPECT_LE(after.contended - before.contended, rounds);
  EXPECT_GT(after.wait_ns_total, before.wait_ns_total);
  EXPECT_GE(after.wait_ns_max, before.wait_ns_max);
  EXPECT_GT(after.wait_ns_max, 0u);
  EXPECT_LE(after.wait_ns_max, after.wait_ns_total);
}

TEST(Lock, UncontendedAcquisitionCountsNoWait) {
  Lock& l = lock_of(kLockHEAP_REGISTRY);
  hak_seg_lock before = record(kLockHEAP_REGISTRY);
  for (int i = 0; i < 10; ++i) LockGuard g(l);
  hak_seg_lock after = record(kLockHEAP_REGISTRY);
  EXPECT_EQ(after.acquisitions - before.acquisitions, 10u);
  EXPECT_EQ(after.contended - before.contended, 0u);
  EXPECT_EQ(after.wait_ns_total - before.wait_ns_total, 0u);
}

TEST(Lock, HoldTimeCoversTheHold) {
  const auto held = std::chrono::milliseconds(2);
  hak_seg_lock before = record(kLockORPHANS);
  {
    LockGuard g(lock_of(kLockORPHANS));
    std::this_thread::sleep_for(held);
  }
  hak_seg_lock after = record(kLockORPHANS);
  EXPECT_EQ(after.acquisitions - before.acquisitions, 1u);
  EXPECT_GE(after.hold_ns_total - before.hold_ns_total,
            static_cast<uint64_t>(std::chrono::nanoseconds(held).count()));
}

TEST(Lock, ArenaShardsCountIntoTheLargeArenaRecord) {
  hak_seg_lock before = record(kLockLARGE_ARENA);
  EXPECT_EQ(&arena_shard_lock(0), &lock_of(kLockLARGE_ARENA));
  for (unsigned s = 0; s < kArenaShards; ++s) LockGuard g(arena_shard_lock(s));
  EXPECT_EQ(record(kLockLARGE_ARENA).acquisitions - before.acquisitions, kArenaShards);
}

// Stands for a heap's lock: outside the table, zero-initialised like a heap's.
Lock g_heap_like;

TEST(Lock, ALockOutsideTheTableCountsIntoTheHeapRecord) {
  hak_seg_lock before = record(kLockHEAP);
  { LockGuard g(g_heap_like); }
  EXPECT_EQ(record(kLockHEAP).acquisitions - before.acquisitions, 1u);
}

TEST(Lock, TryLockTakesAFreeLockAndFailsOnAHeldOne) {
  hak_seg_lock before = record(kLockHEAP);
  ASSERT_TRUE(g_heap_like.try_lock());
  bool second = true;
  std::thread other([&] { second = g_heap_like.try_lock(); });
  other.join();
  EXPECT_FALSE(second);
  g_heap_like.unlock();
  EXPECT_EQ(record(kLockHEAP).acquisitions - before.acquisitions, 1u);
  EXPECT_EQ(record(kLockHEAP).contended - before.contended, 0u);
}

TEST(Lock, ForkLockAllThenUnlockLeavesEveryLockUsable) {
  hak_seg_lock before[kNumLocks];
  for (unsigned i = 0; i < kNumLocks; ++i) before[i] = record(static_cast<LockId>(i));
  lock_all_for_fork([] { g_heap_like.lock(); });
  unlock_all_after_fork(false, [](bool) { g_heap_like.unlock(); });
  // Every lock, from another thread too: a lock left held would hang here, not fail.
  std::thread other([] {
    for (unsigned i = 0; i < kLockLARGE_ARENA; ++i) LockGuard g(lock_of(static_cast<LockId>(i)));
    for (unsigned s = 0; s < kArenaShards; ++s) LockGuard g(arena_shard_lock(s));
    LockGuard g(g_heap_like);
  });
  other.join();
  for (unsigned i = 0; i < kNumLocks; ++i) {
    uint64_t instances = i == kLockLARGE_ARENA ? kArenaShards : 1;
    EXPECT_EQ(record(static_cast<LockId>(i)).acquisitions - before[i].acquisitions, 2 * instances)
        << "lock " << i;
  }
}

TEST(Lock, ResetAfterForkRearmsAHeldLock) {
  Lock& l = lock_of(kLockORPHANS);
  l.lock();
  // What a fork child does with a lock another thread of its parent held: re-arm, not unlock.
  l.reset_after_fork();
  hak_seg_lock before = record(kLockORPHANS);
  std::thread other([&] { LockGuard g(l); });
  other.join();
  { LockGuard g(l); }
  hak_seg_lock after = record(kLockORPHANS);
  EXPECT_EQ(after.acquisitions - before.acquisitions, 2u);
  EXPECT_EQ(after.contended - before.contended, 0u);
}
