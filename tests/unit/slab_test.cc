// small/slab.h, on slabs of real SuperSlabs (taken through the pool's stages and bound as a
// refill binds them). Invariants: slab_bind lays a class out in the slab (slab 0 starts after
// the SuperSlab header, every other slab at its base; capacity blocks fill what is left,
// span == capacity * obj_size, divc and cache_offset are the class's); after every carve,
// take and put, used + length(free_list) + (limit - virgin) / obj_size == capacity;
// slab_is_block_start holds for block starts and nothing else; an eager bind threads every
// block, tagged free, onto the free list in address order; validate_slab accepts all of that
// and aborts, naming the fault, on a slab that breaks it.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "base/size_classes.h"
#include "slab_fixtures.h"

namespace {

using namespace hakmem_test;

// The first and last class, the last 16-byte step, both sides of it, a power of two, and
// sizes that are not (where divc's multiply-compare is the only thing between a block start
// and an interior pointer).
constexpr unsigned kClasses[] = {0, 3, 7, 8, 11, 20, 31, kNumClasses - 1};

// What slab_bind must have written, derived from the geometry constants alone.
void expect_layout(const SlabMeta* m, unsigned cls, const ThreadHeap* h) {
  SCOPED_TRACE(testing::Message() << "class " << cls << " slab " << unsigned{m->index});
  const size_t size = class_size_of(cls);
  char* ss = reinterpret_cast<char*>(superslab_of(m));
  char* base = ss + size_t{m->index} * kSlabSize;
  char* start = m->index == 0 ? ss + kSuperSlabHeaderSize : base;
  const uint64_t capacity = static_cast<uint64_t>(base + kSlabSize - start) / size;
  EXPECT_TRUE(superslab_header_ok(superslab_of(m)));
  EXPECT_EQ(&superslab_of(m)->slabs[m->index], m);
  EXPECT_EQ(m->start, start);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(m->start) % kPageSize, 0u);
  EXPECT_EQ(m->obj_size, size);
  EXPECT_EQ(m->capacity, capacity);
  EXPECT_GE(m->capacity, 1u);
  EXPECT_EQ(m->span, capacity * size);
  EXPECT_LE(m->start + m->span, base + kSlabSize);
  EXPECT_EQ(m->divc, UINT64_MAX / size + 1);
  EXPECT_EQ(m->cache_offset, cls * kClassCacheBytes);
  EXPECT_EQ(m->cls, cls);
  EXPECT_EQ(m->owner.load(), h);
  EXPECT_EQ(m->state.load(), kSlabOwned);
  EXPECT_EQ(m->used, 0u);
  EXPECT_EQ(m->remote_head.load(), 0u);
  EXPECT_EQ(m->limit, m->start + m->span);
}

// A slab 0 (the one that shares its space with the SuperSlab header), out of the pool.
SlabMeta* take_slab_zero(SlabHoard& hoard) {
  for (unsigned i = 0; i < (1u << 20); ++i) {
    PoolStage stage;
    SlabMeta* m = hoard.take(&stage);
    if (m == nullptr) break;
    if (m->index == 0) {
      hoard.forget(m);
      return m;
    }
  }
  ADD_FAILURE() << "no slab 0 from the pool";
  return nullptr;
}

}  // namespace

TEST(Slab, BindLaysOutEveryClass) {
  ThreadHeap* h = test_heap();
  ASSERT_NE(h, nullptr);
  for (unsigned cls : kClasses) {
    BoundSlab m(h, cls, false);
    ASSERT_NE(m.get(), nullptr);
    expect_layout(m.get(), cls, h);
    EXPECT_EQ(m->virgin, m->start);
    EXPECT_EQ(m->free_list, nullptr);
    EXPECT_EQ(virgin_blocks(m.get()), m->capacity);
  }
}

TEST(Slab, SlabZeroStartsAfterTheHeader) {
  ThreadHeap* h = test_heap();
  ASSERT_NE(h, nullptr);
  // Class -> blocks in slab 0 and in any other slab, written out: 16 B, 256 B, 32 KiB.
  struct Want {
    unsigned cls;
    uint32_t in_slab0;
    uint32_t elsewhere;
  };
  const Want wants[] = {{0, 3584, 4096}, {11, 224, 256}, {kNumClasses - 1, 1, 2}};
  for (const Want& w : wants) {
    SlabHoard hoard(h);
    SlabMeta* zero = take_slab_zero(hoard);
    ASSERT_NE(zero, nullptr);
    BoundSlab m(h, w.cls, false, zero);
    expect_layout(m.get(), w.cls, h);
    EXPECT_EQ(m->start, reinterpret_cast<char*>(superslab_of(zero)) + kSuperSlabHeaderSize);
    EXPECT_EQ(m->capacity, w.in_slab0);
    BoundSlab other(h, w.cls, false);
    ASSERT_NE(other.get(), nullptr);
    if (other->index != 0) EXPECT_EQ(other->capacity, w.elsewhere);
  }
}

TEST(Slab, CarveTakePutKeepUsed) {
  ThreadHeap* h = test_heap();
  ASSERT_NE(h, nullptr);
  BoundSlab m(h, 3, false);
  ASSERT_NE(m.get(), nullptr);
  const uint32_t size = m->obj_size;

  BlockChain carved;
  EXPECT_EQ(slab_carve(m.get(), &carved, 10), 10u);
  EXPECT_EQ(carved.count, 10u);
  EXPECT_EQ(m->used, 10u);
  EXPECT_EQ(m->virgin, m->start + 10 * size);
  // Carved in address order, pushed to the front: the chain runs backwards from the tenth.
  std::vector<void*> blocks = chain_blocks(carved.head);
  ASSERT_EQ(blocks.size(), 10u);
  for (unsigned i = 0; i < 10; ++i) EXPECT_EQ(blocks[i], m->start + (9 - i) * size);
  EXPECT_EQ(carved.tail, m->start);
  expect_accounted(m.get());

  // Nothing was put back yet: the free list has nothing to give.
  BlockChain none;
  EXPECT_EQ(slab_take_local(m.get(), &none, 5), 0u);
  EXPECT_EQ(none.count, 0u);
  EXPECT_EQ(m->used, 10u);

  for (unsigned i = 0; i < 4; ++i) slab_put_local(m.get(), blocks[i]);
  EXPECT_EQ(m->used, 6u);
  EXPECT_EQ(free_blocks(m.get()), 4u);
  EXPECT_EQ(m->free_list, blocks[3]);   // last put, first out
  expect_accounted(m.get());

  BlockChain again;
  EXPECT_EQ(slab_take_local(m.get(), &again, 3), 3u);
  EXPECT_EQ(m->used, 9u);
  EXPECT_EQ(free_blocks(m.get()), 1u);
  expect_accounted(m.get());
  EXPECT_EQ(slab_take_local(m.get(), &again, 100), 1u);   // only what the list holds
  EXPECT_EQ(again.count, 4u);
  EXPECT_EQ(m->used, 10u);
  EXPECT_EQ(m->free_list, nullptr);

  // The rest of the virgin range, and no more.
  BlockChain rest;
  EXPECT_EQ(slab_carve(m.get(), &rest, m->capacity), m->capacity - 10);
  EXPECT_EQ(m->used, m->capacity);
  EXPECT_EQ(m->virgin, m->limit);
  EXPECT_EQ(slab_carve(m.get(), &rest, 1), 0u);
  EXPECT_FALSE(slab_has_free(m.get()));
  expect_accounted(m.get());

  for (void* b : chain_blocks(rest.head)) slab_put_local(m.get(), b);
  for (void* b : chain_blocks(again.head)) slab_put_local(m.get(), b);
  for (unsigned i = 4; i < 10; ++i) slab_put_local(m.get(), blocks[i]);
  EXPECT_EQ(m->used, 0u);
  EXPECT_EQ(free_blocks(m.get()), m->capacity);
  EXPECT_TRUE(slab_has_free(m.get()));
  expect_accounted(m.get());
}

// A free list no longer than `whole` is taken as it is, unwalked (its length follows from
// `used`), behind the blocks gathered already; one block longer, n are walked off it.
TEST(Slab, TakeLocalTakesAListThatFitsWhole) {
  ThreadHeap* h = test_heap();
  ASSERT_NE(h, nullptr);
  BoundSlab m(h, 3, false);
  ASSERT_NE(m.get(), nullptr);
  BlockChain carved;
  ASSERT_EQ(slab_carve(m.get(), &carved, 12), 12u);
  std::vector<void*> blocks = chain_blocks(carved.head);
  for (unsigned i = 0; i < 10; ++i) slab_put_local(m.get(), blocks[i]);
  EXPECT_EQ(slab_free_count(m.get()), 10u);

  BlockChain out;
  out.push(blocks[10]);
  EXPECT_EQ(slab_take_local(m.get(), &out, 2, 9), 2u);   // 10 > 9: walked
  EXPECT_TRUE(out.can_append());
  EXPECT_EQ(slab_free_count(m.get()), 8u);
  EXPECT_EQ(slab_take_local(m.get(), &out, 2, 8), 8u);   // fits: all of it, unwalked
  EXPECT_EQ(out.count, 11u);
  EXPECT_EQ(out.tail, nullptr);
  EXPECT_EQ(m->free_list, nullptr);
  EXPECT_EQ(m->used, 12u);
  expect_accounted(m.get());
  // Only one list may be appended: the next one is walked, whatever `whole` allows.
  slab_put_local(m.get(), blocks[11]);
  EXPECT_FALSE(out.can_append());
  EXPECT_EQ(slab_take_local(m.get(), &out, 1, 100), 1u);
  EXPECT_EQ(out.head, blocks[11]);
  std::vector<void*> got = chain_blocks(out.head);
  EXPECT_EQ(got.size(), 12u);
  EXPECT_EQ(out.take_tail(), got.back());
  for (void* b : got) slab_put_local(m.get(), b);
  EXPECT_EQ(m->used, 0u);
  expect_accounted(m.get());
}

TEST(Slab, BlockStartAcceptsOnlyBlockStarts) {
  ThreadHeap* h = test_heap();
  ASSERT_NE(h, nullptr);
  for (unsigned cls : kClasses) {
    SCOPED_TRACE(testing::Message() << "class " << cls);
    BoundSlab m(h, cls, false);
    ASSERT_NE(m.get(), nullptr);
    const size_t size = m->obj_size;
    unsigned wrong = 0;
    for (uint32_t i = 0; i < m->capacity; ++i) {
      char* b = m->start + i * size;
      wrong += !slab_is_block_start(m.get(), b);
      // Interior pointers: one byte in, the middle, the last byte; past the first 16 bytes.
      wrong += slab_is_block_start(m.get(), b + 1);
      wrong += slab_is_block_start(m.get(), b + size / 2);
      wrong += slab_is_block_start(m.get(), b + size - 1);
      if (size > 16) wrong += slab_is_block_start(m.get(), b + 16);
    }
    EXPECT_EQ(wrong, 0u);
    // Outside: one block past the last, below the start, the next slab.
    EXPECT_FALSE(slab_is_block_start(m.get(), m->start + m->span));
    EXPECT_FALSE(slab_is_block_start(m.get(), m->start - 16));
    EXPECT_FALSE(slab_is_block_start(m.get(), m->start - size));
    EXPECT_FALSE(slab_is_block_start(m.get(), m->start + kSlabSize));
    EXPECT_FALSE(slab_is_block_start(m.get(), nullptr));
  }
}

TEST(Slab, EagerBindThreadsEveryBlockTagged) {
  ThreadHeap* h = test_heap();
  ASSERT_NE(h, nullptr);
  for (unsigned cls : {0u, 7u, 20u, kNumClasses - 1}) {
    SCOPED_TRACE(testing::Message() << "class " << cls);
    BoundSlab m(h, cls, true);
    ASSERT_NE(m.get(), nullptr);
    expect_layout(m.get(), cls, h);
    EXPECT_EQ(m->virgin, m->limit);
    std::vector<void*> list = chain_blocks(m->free_list);
    ASSERT_EQ(list.size(), m->capacity);
    unsigned wrong = 0;
    for (uint32_t i = 0; i < m->capacity; ++i) {
      wrong += list[i] != m->start + size_t{i} * m->obj_size;   // address order from start
      wrong += !has_free_tag(list[i]);
    }
    EXPECT_EQ(wrong, 0u);
    expect_accounted(m.get());
    BlockChain all;
    EXPECT_EQ(slab_take_local(m.get(), &all, m->capacity + 1), m->capacity);
    EXPECT_EQ(m->used, m->capacity);
    EXPECT_FALSE(slab_has_free(m.get()));
    expect_accounted(m.get());
    for (void* b : chain_blocks(all.head)) slab_put_local(m.get(), b);
    EXPECT_EQ(m->used, 0u);
  }
}

// The breakage happens inside the death statement, so only the child's copy of the slab is
// ever inconsistent.
TEST(SlabDeathTest, ValidateCatchesABrokenSlab) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ThreadHeap* h = test_heap();
  ASSERT_NE(h, nullptr);
  BoundSlab m(h, 7, true);
  ASSERT_NE(m.get(), nullptr);
  BlockChain taken;
  ASSERT_EQ(slab_take_local(m.get(), &taken, 5), 5u);
  validate_slab(m.get());
  // `used` low: blocks would be handed out twice once the slab looked empty.
  EXPECT_DEATH(
      {
        m->used = 2;
        validate_slab(m.get());
      },
      "invariant broken.*used \\+ free \\+ virgin != capacity");
  // `used` high: the slab would never be released (a drain knows its chain's count exactly).
  EXPECT_DEATH(
      {
        m->used = 7;
        validate_slab(m.get());
      },
      "invariant broken.*used \\+ free \\+ virgin != capacity");
  // A free-list entry inside a block, not at its start.
  EXPECT_DEATH(
      {
        m->free_list = m->start + 1;
        validate_slab(m.get());
      },
      "invariant broken.*free-list entry outside the slab");
  // A cycle in the free list.
  EXPECT_DEATH(
      {
        void* first = m->free_list;
        *static_cast<void**>(first) = first;
        validate_slab(m.get());
      },
      "invariant broken.*free list longer than the slab");
  for (void* b : chain_blocks(taken.head)) slab_put_local(m.get(), b);
  validate_slab(m.get());
  EXPECT_EQ(m->used, 0u);
}
