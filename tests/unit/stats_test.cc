// The counters API: exact per-class counts (allocations, frees, remote frees) for a class
// this test alone uses at that moment, refill identity, lock table and names.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "hakmem/hakmem.h"
#include "small/refill.h"
#include "stats_snapshot.h"

namespace {

constexpr int kCount = 5000;

}  // namespace

TEST(Stats, ExactCountsWithCrossThreadFrees) {
  int cls = hak_size_to_class(kOwnClassSize);
  hak_class_stats before = class_stats(cls);
  std::vector<void*> blocks;
  std::atomic<bool> freed{false};
  // The producer stays alive while the consumer frees, so it owns the slabs throughout and
  // every free is remote (an exited producer's heap could be parked and taken over).
  std::thread producer([&] {
    for (int i = 0; i < kCount; ++i) blocks.push_back(hak_malloc(kOwnClassSize));
    std::thread consumer([&] {
      for (void* b : blocks) hak_free(b);
      // Still alive: its own snapshot publishes its counts first.
      hak_class_stats during = class_stats(cls);
      EXPECT_EQ(during.frees - before.frees, static_cast<uint64_t>(kCount));
      EXPECT_EQ(during.remote_frees - before.remote_frees, static_cast<uint64_t>(kCount));
      freed = true;
    });
    consumer.join();
  });
  producer.join();
  ASSERT_TRUE(freed.load());
  hak_class_stats after = class_stats(cls);
  EXPECT_EQ(after.allocs - before.allocs, static_cast<uint64_t>(kCount));
  EXPECT_EQ(after.frees - before.frees, static_cast<uint64_t>(kCount));
  EXPECT_EQ(after.remote_frees - before.remote_frees, static_cast<uint64_t>(kCount));
  // Every block handed out came from a refill; at most one batch per refill is left over.
  uint64_t objects = 0, refills = 0;
  for (int p = 0; p < HAK_NUM_PATHS; ++p) {
    objects += after.refill_objects[p] - before.refill_objects[p];
    refills += after.refills[p] - before.refills[p];
  }
  EXPECT_GE(objects, static_cast<uint64_t>(kCount));
  EXPECT_GT(refills, 0u);
}

TEST(Stats, NamesAreTheStableLabels) {
  EXPECT_STREQ(hak_path_name(0), "slab_local");
  EXPECT_STREQ(hak_path_name(HAK_NUM_PATHS - 1), "new_superslab");
  EXPECT_EQ(hak_path_name(HAK_NUM_PATHS), nullptr);
  EXPECT_EQ(hak_path_name(-1), nullptr);
  for (int i = 0; i < HAK_NUM_LOCKS; ++i) EXPECT_NE(hak_lock_name(i), nullptr);
  EXPECT_STREQ(hak_lock_name(1), "pool");
  EXPECT_STREQ(hak_os_call_name(0), "mmap");
  EXPECT_NE(hak_pool_stage_name(0), nullptr);
  EXPECT_NE(hak_pool_release_kind_name(0), nullptr);
  EXPECT_STREQ(hak_superslab_state_name(1), "empty");
}

TEST(Stats, LocksAndOsCallsAreCounted) {
  std::vector<void*> big;
  for (int i = 0; i < 8; ++i) big.push_back(hak_malloc(3 << 20));
  for (void* b : big) hak_free(b);
  hak_stats s;
  hak_stats_snapshot(&s);
  EXPECT_GT(s.os_calls[0], 0u);
  EXPECT_GT(s.os_bytes[0], 0u);
  EXPECT_GT(s.mapped_bytes, 0u);
  EXPECT_GE(s.large_allocs, 8u);
  int arena_lock = -1;
  for (int i = 0; i < HAK_NUM_LOCKS; ++i) {
    if (strcmp(hak_lock_name(i), "large_arena") == 0) arena_lock = i;
  }
  ASSERT_EQ(arena_lock, 5);   // appended in minor 1: earlier indices keep their meaning
  EXPECT_STREQ(hak_lock_name(HAK_NUM_LOCKS - 1), "heap");   // appended in minor 6
  EXPECT_GT(s.locks[arena_lock].acquisitions, 0u);
  EXPECT_GE(s.locks[arena_lock].hold_ns_total, 0u);
  EXPECT_EQ(hak_stats_snapshot(nullptr), -1);
}

TEST(Stats, OccupancyIsCoherent) {
  std::vector<void*> blocks;
  for (int i = 0; i < 3000; ++i) blocks.push_back(hak_malloc(700));
  hak_stats s;
  hak_stats_snapshot(&s);
  int cls = hak_size_to_class(700);
  const hak_class_stats& c = s.classes[cls];
  uint64_t per_slab = 65536 / c.size;
  EXPECT_GE(c.slabs_in_use * per_slab, (c.allocs - c.frees));
  EXPECT_GE(c.live_bytes, 3000u * c.size);
  EXPECT_GT(s.superslabs[0], 0u);
  for (void* b : blocks) hak_free(b);
}

namespace {

// A forked child counts its own operations: its counters start at zero and the blocks live
// at the fork become its inherited blocks, so its live bytes stay right and a sum over parent
// and child counts each operation once. Run in the child; returns a bit per failed check.
uint64_t lock_acquisitions(const hak_stats& s) {
  uint64_t n = 0;
  for (const hak_lock_stats& l : s.locks) n += l.acquisitions;
  return n;
}

int check_forked_child(int cls, const std::vector<void*>& blocks, const hak_class_stats& at_fork,
                       uint64_t parent_acquisitions) {
  int bad = 0;
  // Each snapshot takes the registry lock once: the parent's took it dozens of times, the
  // child's restarted counts hold only this first snapshot's.
  bad |= (lock_acquisitions(snap()) > 4 || parent_acquisitions < 40) << 5;
  hak_class_stats c = class_stats(cls);
  bad |= (c.allocs != 0 || c.frees != 0 || c.remote_frees != 0) << 0;
  bad |= (c.live_bytes != at_fork.live_bytes) << 1;
  for (size_t i = 0; i < blocks.size() / 2; ++i) hak_free(blocks[i]);
  std::vector<void*> mine;
  for (int i = 0; i < 100; ++i) mine.push_back(hak_malloc(kOwnClassSize));
  c = class_stats(cls);
  bad |= (c.frees != blocks.size() / 2 || c.allocs != 100) << 2;
  bad |= (c.live_bytes != at_fork.live_bytes - (blocks.size() / 2 - 100) * c.size) << 3;
  hak_stats s = snap();
  bad |= (s.threads_live != 1 || s.threads_exited != 0) << 4;
  return bad;
}

}  // namespace

TEST(Stats, AForkedChildCountsItsOwnOperations) {
  int cls = hak_size_to_class(kOwnClassSize);
  std::vector<void*> blocks;
  for (int i = 0; i < kCount; ++i) blocks.push_back(hak_malloc(kOwnClassSize));
  for (int i = 0; i < 40; ++i) snap();
  hak_class_stats at_fork = class_stats(cls);
  uint64_t acquisitions = lock_acquisitions(snap());
  ASSERT_GE(at_fork.live_bytes, uint64_t{kCount} * at_fork.size);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(check_forked_child(cls, blocks, at_fork, acquisitions));
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "failed checks (bits): 0 counts not zero, 1 live bytes at the fork, "
                                       "2 the child's own counts, 3 live bytes after, 4 threads, 5 locks";
  hak_class_stats after = class_stats(cls);
  EXPECT_EQ(after.allocs, at_fork.allocs) << "the child's operations went into the parent's counts";
  EXPECT_EQ(after.frees, at_fork.frees);
  for (void* b : blocks) hak_free(b);
}

// HAKMEM_CARVE_BYTES (default 4096): a refill carves at most a page of never-used blocks, one
// block of the 3072 B class, however big the batch it wants (up to half the cache).
TEST(Stats, ARefillCarvesAtMostCarveBytesOfNeverUsedBlocks) {
  int cls = hak_size_to_class(kOwnClassSize);
  hak_class_stats before = class_stats(cls);
  std::thread fresh([] {
    // More than any free list of the class holds, so refills reach the never-used tail.
    std::vector<void*> blocks;
    for (int i = 0; i < 2000; ++i) blocks.push_back(hak_malloc(kOwnClassSize));
    for (void* b : blocks) hak_free(b);
  });
  fresh.join();
  hak_class_stats after = class_stats(cls);
  constexpr unsigned kCarve = hakmem::kPathVIRGIN_CARVE;
  uint64_t refills = after.refills[kCarve] - before.refills[kCarve];
  uint64_t objects = after.refill_objects[kCarve] - before.refill_objects[kCarve];
  EXPECT_GT(refills, 0u);
  EXPECT_EQ(objects, refills);
}
