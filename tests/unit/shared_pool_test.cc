// small/shared_pool.h, with this thread's real heap: the order of pool_acquire's stages, the
// segment's pool counters, and the return of empty SuperSlabs to the OS. Invariants: a heap
// gets its own stash first, then a free slab of a partly used SuperSlab (pool lock), then a
// slab of a wholly empty one, then the next never-used slab of its carve SuperSlab, and maps
// a new SuperSlab only when that one is used up (the order shared_pool.cc implements; see the
// note at StagesInOrder); every acquisition counts once in pool_acquires[its stage] and every
// release once in pool_releases[its kind]; a SuperSlab moves between the active and empty
// gauges as its last slab comes back or its first leaves; pool_release_expired(true) unmaps
// every empty SuperSlab (mapped bytes drop by 2 MiB each, the page map forgets it) and
// pool_release_beyond(keep) keeps the `keep` newest; neither unmaps a SuperSlab while one of
// its slabs is on a ready stack. The pool is shared with every other test
// of the process: each test first drains it into a SlabHoard and asserts deltas.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "base/page_map.h"
#include "os/os.h"
#include "slab_fixtures.h"
#include "support/env_config.h"

namespace {

using namespace hakmem_test;

constexpr unsigned kClass = 5;

uint64_t mapped_bytes() { return hakmem::os::os_stats().mapped_bytes; }

class SharedPool : public testing::Test {
 protected:
  void SetUp() override {
    h_ = test_heap();
    ASSERT_NE(h_, nullptr);
    ASSERT_NE(config().pool, 0u) << "the pool tests need HAKMEM_POOL on (its default)";
    // Parked heaps of earlier tests' threads dissolve now, not into the pool mid-test.
    release_expired_parked(true);
  }
  // After a drain: takes never-used slabs until h's carve SuperSlab has `room` left.
  void ensure_carve_room(SlabHoard& hoard, unsigned room) {
    PoolStage stage;
    while (h_->carve_ss == nullptr || h_->carve_next + room > kSlabsPerSuperSlab) {
      ASSERT_NE(hoard.take(&stage), nullptr);
      ASSERT_TRUE(stage == kStageSUPERSLAB_CARVE || stage == kStageNEW_SUPERSLAB);
    }
  }

  ThreadHeap* h_ = nullptr;
};

}  // namespace

// The order of stats_names.h and the README: the pool lock's used slabs before the heap's own
// carve SuperSlab, so that partly used SuperSlabs fill up and empty ones can decay.
TEST_F(SharedPool, StagesInOrder) {
  ASSERT_NE(config().pool_stash, 0u) << "this test needs HAKMEM_POOL_STASH > 0 (its default)";
  SlabHoard hoard(h_);
  hoard.drain();
  ensure_carve_room(hoard, 3);
  PoolStage stage;
  SlabMeta* locked = hoard.take(&stage);
  SlabMeta* stashed = hoard.take(&stage);
  ASSERT_NE(locked, nullptr);
  ASSERT_NE(stashed, nullptr);
  // One free slab under the pool lock (its SuperSlab is partly in use: a slot release) ...
  uint64_t slot = releases(kReleaseSLOT), stash = releases(kReleaseSTASH);
  hoard.forget(locked);
  pool_release(locked);
  EXPECT_EQ(releases(kReleaseSLOT) - slot, 1u);
  // ... one in the heap's stash, emptied the way a refill's slab is ...
  uint32_t stash_count = h_->stash_count;
  hoard.forget(stashed);
  { BoundSlab bound(h_, kClass, false, stashed); }
  EXPECT_EQ(releases(kReleaseSTASH) - stash, 1u);
  EXPECT_EQ(h_->stash_count, stash_count + 1);
  EXPECT_EQ(stashed->state.load(), kSlabFree);
  EXPECT_EQ(stashed->owner.load(), nullptr);
  // ... and never-used slabs left in the carve SuperSlab.
  SuperSlab* carve_ss = h_->carve_ss;
  uint32_t carve_next = h_->carve_next;
  ASSERT_LT(carve_next, kSlabsPerSuperSlab);

  uint64_t by_stash = acquires(kStageTHREAD_STASH), by_lock = acquires(kStageLOCKED_FREE_SLAB),
           by_carve = acquires(kStageSUPERSLAB_CARVE), by_os = acquires(kStageNEW_SUPERSLAB);
  EXPECT_EQ(hoard.take(&stage), stashed);
  EXPECT_EQ(stage, kStageTHREAD_STASH);
  EXPECT_EQ(h_->stash_count, stash_count);
  EXPECT_EQ(hoard.take(&stage), locked);
  EXPECT_EQ(stage, kStageLOCKED_FREE_SLAB);
  EXPECT_EQ(h_->carve_next, carve_next);
  EXPECT_EQ(hoard.take(&stage), &carve_ss->slabs[carve_next]);
  EXPECT_EQ(stage, kStageSUPERSLAB_CARVE);
  EXPECT_EQ(h_->carve_next, carve_next + 1);
  EXPECT_EQ(acquires(kStageTHREAD_STASH) - by_stash, 1u);
  EXPECT_EQ(acquires(kStageLOCKED_FREE_SLAB) - by_lock, 1u);
  EXPECT_EQ(acquires(kStageSUPERSLAB_CARVE) - by_carve, 1u);
  EXPECT_EQ(acquires(kStageNEW_SUPERSLAB) - by_os, 0u);
}

TEST_F(SharedPool, UsedUpCarveMapsANewSuperSlab) {
  SlabHoard hoard(h_);
  hoard.drain();
  PoolStage stage;
  while (h_->carve_next < kSlabsPerSuperSlab) {
    ASSERT_NE(hoard.take(&stage), nullptr);
    ASSERT_EQ(stage, kStageSUPERSLAB_CARVE);
  }
  SuperSlab* old_ss = h_->carve_ss;
  uint64_t mapped = mapped_bytes(), active = superslabs_active(),
           by_os = acquires(kStageNEW_SUPERSLAB);
  SlabMeta* m = hoard.take(&stage);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(stage, kStageNEW_SUPERSLAB);
  SuperSlab* ss = superslab_of(m);
  EXPECT_NE(ss, old_ss);
  EXPECT_EQ(h_->carve_ss, ss);
  EXPECT_EQ(m, &ss->slabs[0]);
  EXPECT_EQ(h_->carve_next, 1u);
  EXPECT_TRUE(superslab_header_ok(ss));
  for (unsigned i = 0; i < kSlabsPerSuperSlab; ++i) EXPECT_EQ(ss->slabs[i].index, i);
  EXPECT_EQ(chunk_kind(reinterpret_cast<uintptr_t>(ss)), kChunkSuperSlab);
  EXPECT_EQ(mapped_bytes() - mapped, kSuperSlabSize);
  EXPECT_EQ(superslabs_active() - active, 1u);
  EXPECT_EQ(acquires(kStageNEW_SUPERSLAB) - by_os, 1u);
}

TEST_F(SharedPool, AWhollyEmptySuperSlabServesAfterPartlyUsedOnes) {
  SlabHoard hoard(h_);
  hoard.drain();
  std::vector<SlabMeta*> fresh = hoard.take_fresh_superslab();
  ASSERT_EQ(fresh.size(), kSlabsPerSuperSlab);
  SuperSlab* ss = superslab_of(fresh[0]);
  uint64_t slot = releases(kReleaseSLOT), empty = releases(kReleaseSUPERSLAB_EMPTY);
  uint64_t active = superslabs_active(), empties = superslabs_empty();
  hoard.give_back(fresh);
  // The last slab back empties it: 31 slot releases, then one superslab_empty.
  EXPECT_EQ(releases(kReleaseSLOT) - slot, kSlabsPerSuperSlab - 1);
  EXPECT_EQ(releases(kReleaseSUPERSLAB_EMPTY) - empty, 1u);
  EXPECT_EQ(active - superslabs_active(), 1u);
  EXPECT_EQ(superslabs_empty() - empties, 1u);
  EXPECT_TRUE(pool_has_empty());
  EXPECT_EQ(ss->free_mask, 0xFFFFFFFFu);

  uint64_t by_empty = acquires(kStageLOCKED_EMPTY_SUPERSLAB),
           by_lock = acquires(kStageLOCKED_FREE_SLAB);
  PoolStage stage;
  SlabMeta* m = hoard.take(&stage);
  EXPECT_EQ(stage, kStageLOCKED_EMPTY_SUPERSLAB);
  EXPECT_EQ(superslab_of(m), ss);
  EXPECT_EQ(superslabs_active() - active, 0u);
  EXPECT_EQ(superslabs_empty() - empties, 0u);
  // Now partly used: the next slab comes from it, under the lock, as a free slab.
  m = hoard.take(&stage);
  EXPECT_EQ(stage, kStageLOCKED_FREE_SLAB);
  EXPECT_EQ(superslab_of(m), ss);
  EXPECT_EQ(acquires(kStageLOCKED_EMPTY_SUPERSLAB) - by_empty, 1u);
  EXPECT_EQ(acquires(kStageLOCKED_FREE_SLAB) - by_lock, 1u);
}

TEST_F(SharedPool, AFullStashSendsEmptiedSlabsToThePool) {
  const uint64_t room = config().pool_stash;
  SlabHoard hoard(h_);
  hoard.drain();
  ASSERT_EQ(h_->stash_count, 0u);
  std::vector<std::unique_ptr<BoundSlab>> bound;
  for (uint64_t i = 0; i <= room; ++i) {
    PoolStage stage;
    SlabMeta* m = hoard.take(&stage);
    ASSERT_NE(m, nullptr);
    hoard.forget(m);
    bound.push_back(std::make_unique<BoundSlab>(h_, kClass, false, m));
  }
  uint64_t in_use = seg_load(process_counts().slabs_in_use[kClass]);
  uint64_t stash = releases(kReleaseSTASH), slot = releases(kReleaseSLOT);
  for (uint64_t i = 0; i <= room; ++i) {
    SlabMeta* m = bound[i]->get();
    bound[i].reset();
    EXPECT_EQ(m->state.load(), kSlabFree);
    EXPECT_EQ(m->owner.load(), nullptr);
    if (i < room) EXPECT_EQ(h_->stash[h_->stash_count - 1], m);
  }
  EXPECT_EQ(releases(kReleaseSTASH) - stash, room);
  EXPECT_EQ(releases(kReleaseSLOT) - slot, 1u);
  EXPECT_EQ(h_->stash_count, room);
  EXPECT_EQ(in_use - seg_load(process_counts().slabs_in_use[kClass]), room + 1);
}

TEST_F(SharedPool, ReleaseExpiredForcedUnmapsEveryEmptySuperSlab) {
  SlabHoard hoard(h_);
  hoard.drain();
  std::vector<SlabMeta*> fresh = hoard.take_fresh_superslab();
  ASSERT_EQ(fresh.size(), kSlabsPerSuperSlab);
  auto base = reinterpret_cast<uintptr_t>(superslab_of(fresh[0]));
  hoard.give_back(fresh);
  const uint64_t empties = superslabs_empty();
  ASSERT_GE(empties, 1u);
  uint64_t mapped = mapped_bytes(), unmapped = releases(kReleaseSUPERSLAB_UNMAPPED),
           munmaps = hakmem::os::os_stats().calls[1];   // HAK_OS_CALLS order: mmap, munmap
  size_t freed = pool_release_expired(true);
  EXPECT_EQ(freed, empties * kSuperSlabSize);
  EXPECT_EQ(mapped - mapped_bytes(), freed);
  EXPECT_EQ(releases(kReleaseSUPERSLAB_UNMAPPED) - unmapped, empties);
  EXPECT_EQ(hakmem::os::os_stats().calls[1] - munmaps, empties);
  EXPECT_EQ(superslabs_empty(), 0u);
  EXPECT_FALSE(pool_has_empty());
  EXPECT_EQ(chunk_kind(base), kChunkNone);
  EXPECT_EQ(pool_release_expired(true), 0u);
}

// remote_list.h: a slab on a heap's ready stack is read by the stack's next popper, so its
// SuperSlab stays mapped, even empty and forced, until the slab has left the stack.
TEST_F(SharedPool, AnEmptySuperSlabStaysMappedWhileASlabIsOnAReadyStack) {
  SlabHoard hoard(h_);
  hoard.drain();
  std::vector<SlabMeta*> fresh = hoard.take_fresh_superslab();
  ASSERT_EQ(fresh.size(), kSlabsPerSuperSlab);
  auto* ss = superslab_of(fresh[0]);
  auto base = reinterpret_cast<uintptr_t>(ss);
  SlabMeta* stacked = fresh[7];
  hoard.give_back(fresh);
  ASSERT_GE(superslabs_empty(), 1u);
  stacked->ready.store(1, std::memory_order_release);
  uint64_t mapped = mapped_bytes();
  size_t freed = pool_release_expired(true);
  ASSERT_EQ(chunk_kind(base), kChunkSuperSlab) << "unmapped while a slab was on a ready stack";
  EXPECT_TRUE(superslab_header_ok(ss));
  EXPECT_EQ(mapped - mapped_bytes(), freed);
  EXPECT_EQ(superslabs_empty(), 1u);
  // Popped: the next release takes it.
  stacked->ready.store(0, std::memory_order_release);
  EXPECT_EQ(pool_release_expired(true), kSuperSlabSize);
  EXPECT_EQ(chunk_kind(base), kChunkNone);
  EXPECT_EQ(superslabs_empty(), 0u);
}

TEST_F(SharedPool, ReleaseBeyondKeepsTheNewest) {
  SlabHoard hoard(h_);
  hoard.drain();
  // All three taken before any goes back: an empty one in the pool would serve the next.
  std::vector<std::vector<SlabMeta*>> fresh;
  std::vector<uintptr_t> bases;
  for (int i = 0; i < 3; ++i) {
    fresh.push_back(hoard.take_fresh_superslab());
    ASSERT_EQ(fresh.back().size(), kSlabsPerSuperSlab);
    bases.push_back(reinterpret_cast<uintptr_t>(superslab_of(fresh.back()[0])));
  }
  for (const auto& slabs : fresh) hoard.give_back(slabs);
  const uint64_t empties = superslabs_empty();
  ASSERT_GE(empties, 3u);
  uint64_t mapped = mapped_bytes();
  EXPECT_EQ(pool_release_beyond(empties), 0u);
  EXPECT_EQ(pool_release_beyond(1), (empties - 1) * kSuperSlabSize);
  EXPECT_EQ(mapped - mapped_bytes(), (empties - 1) * kSuperSlabSize);
  EXPECT_EQ(superslabs_empty(), 1u);
  EXPECT_TRUE(pool_has_empty());
  // The one kept is the one emptied last; the older two went back to the OS.
  EXPECT_EQ(chunk_kind(bases[2]), kChunkSuperSlab);
  EXPECT_TRUE(superslab_header_ok(reinterpret_cast<SuperSlab*>(bases[2])));
  EXPECT_EQ(chunk_kind(bases[0]), kChunkNone);
  EXPECT_EQ(chunk_kind(bases[1]), kChunkNone);
  EXPECT_EQ(pool_release_beyond(1), 0u);
  EXPECT_EQ(pool_release_beyond(0), kSuperSlabSize);
  EXPECT_EQ(superslabs_empty(), 0u);
  EXPECT_FALSE(pool_has_empty());
}
