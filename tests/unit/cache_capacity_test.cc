// small/cache_capacity.h: a class list that fills up after running empty grows, so a batch
// bigger than the base capacity, allocated and freed in turn, stops going through the slabs;
// a long burst of frees with no refill ends at the base again; malloc_trim resets the growth.
// And small/remote_list.h's ready stacks: slabs that remote frees refilled are found by the
// owner's next refills, among many full ones, before any new slab.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "counters/segment_storage.h"
#include "small/cache_capacity.h"
#include "small/heap.h"
#include "small/refill.h"
#include "stats_snapshot.h"

namespace {

using hakmem::process_counts;

uint64_t refills_of(int cls) {
  hak_class_stats c = class_stats(cls);
  uint64_t n = 0;
  for (uint64_t r : c.refills) n += r;
  return n;
}

uint64_t resizes(unsigned direction, int cls) {
  return hakmem::seg_load(process_counts().cache_resizes[direction][cls]);
}

void round_of(size_t n) {
  std::vector<void*> blocks;
  for (size_t i = 0; i < n; ++i) blocks.push_back(hak_malloc(kOwnClassSize));
  for (void* b : blocks) hak_free(b);
}

}  // namespace

TEST(CacheCapacity, ABatchThatComesBackGrowsTheCacheUntilItFits) {
  hak_malloc_trim(0);
  int cls = hak_size_to_class(kOwnClassSize);
  uint32_t base = hakmem::base_cache_cap(static_cast<unsigned>(cls));
  constexpr size_t kBatch = 300;
  ASSERT_LT(base, kBatch / 2) << "the batch must outgrow the base capacity";
  uint64_t grows = resizes(hakmem::kCacheResizeGROW, cls);
  for (int i = 0; i < 4; ++i) round_of(kBatch);
  EXPECT_GT(resizes(hakmem::kCacheResizeGROW, cls), grows);
  EXPECT_GE(hakmem::t_cache.cls[cls].cap, kBatch);
  // From now on the whole batch lives in the cache: no refill, no flush.
  uint64_t refills = refills_of(cls);
  for (int i = 0; i < 20; ++i) round_of(kBatch);
  EXPECT_EQ(refills_of(cls), refills);
  hak_malloc_trim(0);
  EXPECT_EQ(hakmem::t_cache.cls[cls].cap, base) << "malloc_trim resets the growth";
}

TEST(CacheCapacity, ALongBurstOfFreesEndsAtTheBase) {
  hak_malloc_trim(0);
  int cls = hak_size_to_class(kOwnClassSize);
  uint32_t base = hakmem::base_cache_cap(static_cast<unsigned>(cls));
  // Enough blocks that the burst outgrows HAKMEM_TCACHE_MAX_BYTES' default (4 MiB) twice.
  std::vector<void*> blocks;
  for (int i = 0; i < 3000; ++i) blocks.push_back(hak_malloc(kOwnClassSize));
  uint64_t shrinks = resizes(hakmem::kCacheResizeSHRINK, cls);
  for (void* b : blocks) hak_free(b);
  EXPECT_GT(resizes(hakmem::kCacheResizeSHRINK, cls), shrinks);
  EXPECT_EQ(hakmem::t_cache.cls[cls].cap, base);
  EXPECT_EQ(hakmem::t_cache.heap->grown_bytes, 0u);
}

TEST(RemoteReady, RefillsFindTheSlabsRemoteFreesRefilledBeforeNewOnes) {
  hak_malloc_trim(0);
  int cls = hak_size_to_class(kOwnClassSize);
  // 96 slabs' worth, all full; then another thread frees every block of 12 of them, spread
  // over the list. This thread's next 12 slabs' worth of allocations must come from them.
  size_t per_slab = (64u << 10) / hak_class_size(cls);
  std::vector<void*> blocks;
  for (size_t i = 0; i < 96 * per_slab; ++i) blocks.push_back(hak_malloc(kOwnClassSize));
  std::vector<void*> freed;
  for (size_t i = 0; i < blocks.size(); ++i) {
    if ((i / per_slab) % 8 == 3) freed.push_back(blocks[i]);
  }
  std::thread([&] {
    for (void* b : freed) hak_free(b);
  }).join();
  // Empty this thread's cache of the class first, so the allocations below refill.
  while (hakmem::cache_count(hakmem::t_cache.cls[cls]) != 0) blocks.push_back(hak_malloc(kOwnClassSize));
  hak_class_stats before = class_stats(cls);
  std::vector<void*> again;
  for (size_t i = 0; i + per_slab < freed.size(); ++i) again.push_back(hak_malloc(kOwnClassSize));
  hak_class_stats after = class_stats(cls);
  EXPECT_EQ(after.slabs_in_use, before.slabs_in_use) << "took new slabs instead";
  EXPECT_GT(after.refills[hakmem::kPathPARTIAL_SLAB], before.refills[hakmem::kPathPARTIAL_SLAB]);
  for (void* b : again) hak_free(b);
  for (size_t i = 0; i < blocks.size(); ++i) {
    if ((i / per_slab) % 8 != 3 || i >= 96 * per_slab) hak_free(blocks[i]);
  }
}
