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
