// Fixtures for the small wing's module tests (slab, remote list, shared pool): the calling
// thread's real heap, slabs taken from the real pool and handed back as the allocator does,
// and the pool's counters read as deltas. The tests of one process share the pool with every
// other test, so nothing here assumes the pool starts empty; SlabHoard::drain() empties it
// (for this thread: no other thread may use the allocator meanwhile) when a test needs to
// know which stage serves next.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "base/constants.h"
#include "core/init.h"
#include "counters/segment_storage.h"
#include "small/heap.h"
#include "small/shared_pool.h"
#include "small/slab.h"
#include "small/superslab.h"
#include "small/thread_cache.h"
#include "small/thread_heap.h"

namespace hakmem_test {

using namespace hakmem;

// The calling thread's heap, created the way its first slow path would.
inline ThreadHeap* test_heap() {
  ensure_initialized();
  if (!thread_cache_ready()) return nullptr;
  return t_cache.heap;
}

inline uint64_t acquires(PoolStage s) { return seg_load(process_counts().pool_acquires[s]); }
inline uint64_t releases(PoolReleaseKind k) { return seg_load(process_counts().pool_releases[k]); }
inline uint64_t superslabs_active() { return seg_load(process_counts().superslabs[kSuperSlabACTIVE]); }
inline uint64_t superslabs_empty() { return seg_load(process_counts().superslabs[kSuperSlabEMPTY]); }

// Slabs a test took from the pool; whatever it still holds goes back (pool_release) at the end.
class SlabHoard {
 public:
  explicit SlabHoard(ThreadHeap* h) : h_(h) {}
  ~SlabHoard() {
    for (SlabMeta* m : held_) pool_release(m);
  }
  SlabHoard(const SlabHoard&) = delete;
  SlabHoard& operator=(const SlabHoard&) = delete;

  SlabMeta* take(PoolStage* stage) {
    SlabMeta* m = pool_acquire(h_, stage);
    if (m != nullptr) held_.push_back(m);
    return m;
  }
  // Takes slabs until the stash and the locked pool are empty, that is until a slab comes from
  // the heap's own SuperSlab or a new one. Returns that slab's stage (kStageNEW_SUPERSLAB
  // stands in when the OS refused memory; the test then fails on its own assertions).
  PoolStage drain() {
    for (;;) {
      PoolStage stage;
      if (take(&stage) == nullptr) {
        ADD_FAILURE() << "pool_acquire found no memory";
        return kStageNEW_SUPERSLAB;
      }
      if (stage == kStageSUPERSLAB_CARVE || stage == kStageNEW_SUPERSLAB) return stage;
    }
  }
  // After drain(): the 32 slabs of a SuperSlab mapped for this test, in index order (the
  // heap first carves what is left of its current one).
  std::vector<SlabMeta*> take_fresh_superslab() {
    std::vector<SlabMeta*> slabs;
    PoolStage stage;
    do {
      if (take(&stage) == nullptr) return slabs;
    } while (stage == kStageSUPERSLAB_CARVE);
    EXPECT_EQ(stage, kStageNEW_SUPERSLAB);
    slabs.push_back(held_.back());
    while (slabs.size() < kSlabsPerSuperSlab) {
      if (take(&stage) == nullptr) return slabs;
      EXPECT_EQ(stage, kStageSUPERSLAB_CARVE);
      slabs.push_back(held_.back());
    }
    return slabs;
  }
  // m leaves the hoard (the caller releases it, or has).
  void forget(SlabMeta* m) { held_.erase(std::find(held_.begin(), held_.end(), m)); }
  // Hands every slab of `slabs` back to the pool now.
  void give_back(const std::vector<SlabMeta*>& slabs) {
    for (SlabMeta* m : slabs) {
      forget(m);
      pool_release(m);
    }
  }
  SlabMeta* last() const { return held_.back(); }

 private:
  ThreadHeap* h_;
  std::vector<SlabMeta*> held_;
};

// A slab bound to a class of h the way refill.cc's next_slab binds one (slab_bind, then the
// slabs_in_use gauge), and handed back the way an emptied slab leaves its heap
// (heap_release_empty_slab: the stash or the pool). The test's blocks never reach a user.
class BoundSlab {
 public:
  // A slab from the pool's stages, or `m` (already taken, and forgotten by its hoard).
  BoundSlab(ThreadHeap* h, unsigned cls, bool eager_carve, SlabMeta* m = nullptr) : h_(h) {
    PoolStage stage;
    m_ = m != nullptr ? m : pool_acquire(h, &stage);
    if (m_ == nullptr) return;
    slab_bind(m_, cls, h, eager_carve);
    seg_add(process_counts().slabs_in_use[cls], 1);
  }
  ~BoundSlab() {
    if (m_ != nullptr) heap_release_empty_slab(h_, m_);
  }
  BoundSlab(const BoundSlab&) = delete;
  BoundSlab& operator=(const BoundSlab&) = delete;

  SlabMeta* get() const { return m_; }
  SlabMeta* operator->() const { return m_; }

 private:
  ThreadHeap* h_;
  SlabMeta* m_;
};

// Every block of a chain, in chain order (next pointer in word 0); stops after a slab's
// worth of blocks, so a cycle fails the test's count instead of hanging it.
inline std::vector<void*> chain_blocks(const void* head) {
  std::vector<void*> out;
  for (void* b = const_cast<void*>(head); b != nullptr && out.size() <= kSlabSize / 16;
       b = *static_cast<void**>(b)) {
    out.push_back(b);
  }
  return out;
}

inline uint64_t free_blocks(const SlabMeta* m) { return chain_blocks(m->free_list).size(); }
inline uint64_t virgin_blocks(const SlabMeta* m) {
  return static_cast<uint64_t>(m->limit - m->virgin) / m->obj_size;
}
// The SlabMeta invariant (superslab.h) with nothing uncounted, then validate_slab (which
// aborts the test binary if it disagrees).
inline void expect_accounted(const SlabMeta* m) {
  EXPECT_EQ(m->used + free_blocks(m) + virgin_blocks(m), m->capacity);
  validate_slab(m);
}

}  // namespace hakmem_test
