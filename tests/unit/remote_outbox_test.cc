// The remote outbox (small/heap.h, RemoteOutbox; core/alloc_slow.cc, free_remote). By default
// (HAKMEM_REMOTE_BATCH=0) a thread's free of another live heap's block goes onto the slab's
// remote list at once (RemoteOutboxDefault). With HAKMEM_REMOTE_BATCH >= 2 (the ctest entry
// remote_outbox.batched runs RemoteOutboxBatched.* with 32) such frees wait in the heap's
// outbox, counted as frees at once, and reach their slabs' remote lists a batch at a time, at
// malloc_trim, or at the thread's exit. Invariants: while collected, a block is on no list
// (its slab's remote list does not hold it); once pushed, every one is, exactly once.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "hakmem/hakmem.h"
#include "small/heap.h"
#include "small/remote_list.h"
#include "small/superslab.h"
#include "stats_snapshot.h"
#include "support/env_config.h"

namespace hakmem_test {
namespace {

using namespace hakmem;

// Blocks on the remote lists of the slabs holding `blocks` (each slab counted once).
uint32_t on_remote_lists(const std::vector<void*>& blocks) {
  std::vector<SlabMeta*> seen;
  uint32_t n = 0;
  for (void* b : blocks) {
    SlabMeta* m = slab_of(superslab_of(b), b);
    bool counted = false;
    for (SlabMeta* s : seen) counted |= s == m;
    if (counted) continue;
    seen.push_back(m);
    n += remote_list_count(m->remote_head.load(std::memory_order_acquire));
  }
  return n;
}

uint32_t outbox_count() { return t_cache.heap == nullptr ? 0 : t_cache.heap->outbox.count; }

// An owner thread that allocates `count` blocks of the test's class and stays alive (its heap
// neither drains nor parks) until the test ends.
class OwnerAlive : public ::testing::Test {
 protected:
  void SetUp() override {
    hak_malloc_trim(0);
    owner_ = std::thread([this] {
      for (int i = 0; i < kBlocks; ++i) blocks_.push_back(hak_malloc(kOwnClassSize));
      stage_ = 1;
      while (stage_.load() != 2) std::this_thread::yield();
      // Takes the blocks back for the next test (its own refill drains its remote lists).
      for (int i = 0; i < kBlocks; ++i) hak_free(hak_malloc(kOwnClassSize));
    });
    while (stage_.load() != 1) std::this_thread::yield();
  }
  void TearDown() override {
    stage_ = 2;
    owner_.join();
  }
  // Runs fn on a thread that has a heap of its own (its first call is a malloc, so it takes
  // over no heap), the frees it makes of the owner's blocks remote ones.
  template <typename Fn>
  static void on_freer(Fn fn) {
    std::thread t([&] {
      hak_free(hak_malloc(64));
      fn();
    });
    t.join();
  }

  static constexpr int kBlocks = 40;
  std::vector<void*> blocks_;
  std::atomic<int> stage_{0};
  std::thread owner_;
};

class RemoteOutboxDefault : public OwnerAlive {};

TEST_F(RemoteOutboxDefault, PushesEachFreeAtOnce) {
  ASSERT_LE(config().remote_batch, 1u) << "run with HAKMEM_REMOTE_BATCH unset, its default";
  on_freer([&] {
    for (int i = 0; i < 5; ++i) hak_free(blocks_[i]);
    EXPECT_EQ(outbox_count(), 0u);
    EXPECT_EQ(on_remote_lists(blocks_), 5u);
    for (int i = 5; i < kBlocks; ++i) hak_free(blocks_[i]);
  });
}

class RemoteOutboxBatched : public OwnerAlive {
 protected:
  void SetUp() override {
    ASSERT_GE(config().remote_batch, 2u) << "run as remote_outbox.batched (HAKMEM_REMOTE_BATCH=32)";
    OwnerAlive::SetUp();
  }
};

TEST_F(RemoteOutboxBatched, CollectsABatchThenPushesIt) {
  const uint32_t batch = config().remote_batch;
  ASSERT_LE(batch, static_cast<uint32_t>(kBlocks));
  int cls = hak_size_to_class(kOwnClassSize);
  hak_class_stats before = class_stats(cls);
  on_freer([&] {
    for (uint32_t i = 0; i + 1 < batch; ++i) hak_free(blocks_[i]);
    EXPECT_EQ(outbox_count(), batch - 1);
    EXPECT_EQ(on_remote_lists(blocks_), 0u) << "a collected block is already on a remote list";
    // Counted as frees when made, not when pushed.
    EXPECT_EQ(class_stats(cls).remote_frees - before.remote_frees, batch - 1);
    hak_free(blocks_[batch - 1]);
    EXPECT_EQ(outbox_count(), 0u);
    EXPECT_EQ(on_remote_lists(blocks_), batch);
    for (uint32_t i = batch; i < static_cast<uint32_t>(kBlocks); ++i) hak_free(blocks_[i]);
  });
  // The rest went at the freer's exit.
  EXPECT_EQ(on_remote_lists(blocks_), static_cast<uint32_t>(kBlocks));
  EXPECT_EQ(class_stats(cls).remote_frees - before.remote_frees, static_cast<uint64_t>(kBlocks));
}

TEST_F(RemoteOutboxBatched, MallocTrimPushesWhatWaits) {
  on_freer([&] {
    for (int i = 0; i < 5; ++i) hak_free(blocks_[i]);
    EXPECT_EQ(outbox_count(), 5u);
    hak_malloc_trim(0);
    EXPECT_EQ(outbox_count(), 0u);
    EXPECT_EQ(on_remote_lists(blocks_), 5u);
    for (int i = 5; i < kBlocks; ++i) hak_free(blocks_[i]);
  });
}

TEST_F(RemoteOutboxBatched, ExitPushesWhatWaits) {
  on_freer([&] {
    for (int i = 0; i < 7; ++i) hak_free(blocks_[i]);
    EXPECT_EQ(on_remote_lists(blocks_), 0u);
  });
  EXPECT_EQ(on_remote_lists(blocks_), 7u);
  on_freer([&] {
    for (int i = 7; i < kBlocks; ++i) hak_free(blocks_[i]);
  });
  EXPECT_EQ(on_remote_lists(blocks_), static_cast<uint32_t>(kBlocks));
}

}  // namespace
}  // namespace hakmem_test
