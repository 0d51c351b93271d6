// Heap parking: a thread whose first call frees a block takes the parked heap that owns the
// block, not merely the newest, so a successor thread inheriting an exited thread's blocks
// frees them locally.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "hakmem/hakmem.h"
#include "stats_snapshot.h"

namespace {

constexpr int kCount = 1000;

}  // namespace

TEST(Park, FirstFreeTakesTheParkedHeapOfItsBlock) {
  hak_malloc_trim(0);   // dissolves heaps parked by earlier tests
  int cls = hak_size_to_class(kOwnClassSize);
  std::vector<void*> blocks;
  std::atomic<int> stage{0};
  // Two threads alive at once get two heaps; the owner of `blocks` exits first, so the other
  // heap is the newest parked one when the successor starts.
  std::thread owner([&] {
    for (int i = 0; i < kCount; ++i) blocks.push_back(hak_malloc(kOwnClassSize));
    stage = 1;
    while (stage.load() != 2) std::this_thread::yield();
  });
  while (stage.load() != 1) std::this_thread::yield();
  std::thread other([&] {
    hak_free(hak_malloc(kOwnClassSize));
    stage = 2;
    while (stage.load() != 3) std::this_thread::yield();
  });
  owner.join();
  stage = 3;
  other.join();
  hak_class_stats before = class_stats(cls);
  std::thread successor([&] {
    for (void* b : blocks) hak_free(b);
  });
  successor.join();
  hak_class_stats after = class_stats(cls);
  EXPECT_EQ(after.frees - before.frees, static_cast<uint64_t>(kCount));
  EXPECT_EQ(after.remote_frees - before.remote_frees, 0u);
}

TEST(Park, FirstFreeOfALiveThreadsBlockIsRemote) {
  hak_malloc_trim(0);
  int cls = hak_size_to_class(kOwnClassSize);
  hak_class_stats before = class_stats(cls);
  std::vector<void*> blocks;
  std::atomic<bool> done{false};
  std::thread owner([&] {
    for (int i = 0; i < kCount; ++i) blocks.push_back(hak_malloc(kOwnClassSize));
    std::thread successor([&] {
      for (void* b : blocks) hak_free(b);
    });
    successor.join();
    done = true;
  });
  owner.join();
  ASSERT_TRUE(done.load());
  hak_class_stats after = class_stats(cls);
  EXPECT_EQ(after.remote_frees - before.remote_frees, static_cast<uint64_t>(kCount));
}

// A successor that starts before its predecessor exits (the predecessor's heap is not parked
// yet, so its first free misses it) moves to that heap as soon as it is parked: its remote
// frees before the exit stay remote, every one after is local, and its own heap is parked in
// exchange (the count of parked heaps is unchanged).
TEST(Park, AnEarlySuccessorMovesToItsBlocksHeapOnceItIsParked) {
  hak_malloc_trim(0);
  int cls = hak_size_to_class(kOwnClassSize);
  std::vector<void*> blocks;
  std::atomic<int> stage{0};
  bool reused_at_once = false;
  std::thread successor;
  std::thread owner([&] {
    for (int i = 0; i < kCount; ++i) blocks.push_back(hak_malloc(kOwnClassSize));
    successor = std::thread([&] {
      for (int i = 0; i < kCount / 2; ++i) hak_free(blocks[static_cast<size_t>(i)]);
      stage = 1;
      while (stage.load() != 2) std::this_thread::yield();
      // The free that moves the thread goes to the new heap's cache: the next malloc has it.
      void* first = blocks[kCount / 2];
      hak_free(first);
      void* again = hak_malloc(kOwnClassSize);
      reused_at_once = again == first;
      hak_free(again);
      for (int i = kCount / 2 + 1; i < kCount; ++i) hak_free(blocks[static_cast<size_t>(i)]);
    });
    while (stage.load() != 1) std::this_thread::yield();
  });
  hak_class_stats before{};
  while (stage.load() != 1) std::this_thread::yield();
  owner.join();   // its heap is parked
  before = class_stats(cls);
  stage = 2;
  successor.join();
  hak_class_stats after = class_stats(cls);
  EXPECT_EQ(after.frees - before.frees, static_cast<uint64_t>(kCount - kCount / 2 + 1));
  EXPECT_EQ(after.remote_frees - before.remote_frees, 0u);
  EXPECT_TRUE(reused_at_once);
}
