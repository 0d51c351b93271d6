// small/remote_list.h: blocks freed by threads that do not own their slab, pushed from
// several std::threads onto one slab of a real SuperSlab and drained by the owner (this
// thread). Invariants: every pushed block comes back exactly once, through the drain's chain
// or the free list; a pushed block carries its free tag; the list's head counts its blocks
// exactly; used == (blocks live before) - (blocks pushed) + (blocks the drains handed out),
// so used + free + virgin == capacity after every drain; a drain of n takes at most n and
// threads the rest onto the free list, unless the whole chain fits what the caller allows,
// which then goes to the caller's chain as it is; a drain of an empty list returns 0 and
// changes nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "slab_fixtures.h"
#include "small/remote_list.h"

namespace {

using namespace hakmem_test;

constexpr unsigned kThreads = 4;
constexpr unsigned kPerThread = 128;
constexpr unsigned kClass = 3;   // 64 B: 896 or 1024 blocks a slab, room for kThreads * kPerThread

// Pushes blocks from kThreads threads at once, each its share (block i to thread i % kThreads).
// `while_pushing` runs on this thread meanwhile.
template <typename Fn>
void push_from_threads(SlabMeta* m, const std::vector<void*>& blocks, Fn while_pushing) {
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      for (size_t i = t; i < blocks.size(); i += kThreads) remote_push(m, blocks[i]);
    });
  }
  go.store(true, std::memory_order_release);
  while_pushing();
  for (auto& t : threads) t.join();
}

// Each of `want` exactly once in `got`.
void expect_same_blocks(std::vector<void*> got, std::vector<void*> want) {
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(std::adjacent_find(got.begin(), got.end()), got.end()) << "a block came back twice";
  EXPECT_EQ(got, want);
}

void expect_tagged(const std::vector<void*>& blocks) {
  unsigned untagged = 0;
  for (void* b : blocks) untagged += !has_free_tag(b);
  EXPECT_EQ(untagged, 0u);
}

// Hands the test's blocks back to the slab's free list, so it leaves empty.
void put_all(SlabMeta* m, const std::vector<void*>& blocks) {
  for (void* b : blocks) slab_put_local(m, b);
  EXPECT_EQ(m->used, 0u);
}

// Every pushed block is in `out` now, that is with a thread cache (still counted used), and
// nothing is left on the remote list or the free list. Then hands them back.
void expect_all_handed_out(SlabMeta* m, const BlockChain& out, const std::vector<void*>& blocks) {
  EXPECT_EQ(out.count, blocks.size());
  EXPECT_EQ(m->remote_head.load(), 0u);
  EXPECT_EQ(m->free_list, nullptr);
  EXPECT_EQ(m->used, blocks.size());
  std::vector<void*> got = chain_blocks(out.head);
  expect_same_blocks(got, blocks);
  expect_tagged(got);
  expect_accounted(m);
  put_all(m, got);
}

// Each test: a fresh slab of kClass of this thread's heap, with blocks carved as if users
// held them.
class RemoteList : public testing::Test {
 protected:
  void SetUp() override {
    h_ = test_heap();
    ASSERT_NE(h_, nullptr);
  }
  // Binds a new slab (the previous one leaves first) and carves n live blocks of it.
  SlabMeta* slab_with_live_blocks(uint32_t n) {
    slab_.reset();
    slab_ = std::make_unique<BoundSlab>(h_, kClass, false);
    SlabMeta* m = slab_->get();
    if (m == nullptr) return nullptr;
    BlockChain c;
    EXPECT_EQ(slab_carve(m, &c, n), n);
    EXPECT_EQ(m->used, n);
    blocks_ = chain_blocks(c.head);
    return m;
  }

  ThreadHeap* h_ = nullptr;
  std::unique_ptr<BoundSlab> slab_;
  std::vector<void*> blocks_;
};

}  // namespace

TEST_F(RemoteList, PushesFromThreadsDrainOnceEach) {
  const uint32_t n = kThreads * kPerThread;
  SlabMeta* m = slab_with_live_blocks(n);
  ASSERT_NE(m, nullptr);
  push_from_threads(m, blocks_, [] {});
  EXPECT_EQ(remote_list_count(m->remote_head.load()), n);
  EXPECT_EQ(chain_blocks(remote_list_top(m, m->remote_head.load())).size(), n);
  EXPECT_TRUE(slab_has_free(m));

  BlockChain out;
  EXPECT_EQ(remote_drain(m, &out, n), n);
  expect_all_handed_out(m, out, blocks_);
}

TEST_F(RemoteList, DrainOfNPutsTheRestOnTheFreeList) {
  // Once onto an empty free list (taken whole), once onto one that already holds blocks
  // (the list is walked to its tail).
  for (uint32_t already_free : {0u, 8u}) {
    SCOPED_TRACE(testing::Message() << already_free << " blocks already free");
    const uint32_t pushed = 3 * 64, take = 50;
    SlabMeta* m = slab_with_live_blocks(pushed + already_free);
    ASSERT_NE(m, nullptr);
    std::vector<void*> remote(blocks_.begin(), blocks_.begin() + pushed);
    for (uint32_t i = pushed; i < blocks_.size(); ++i) slab_put_local(m, blocks_[i]);
    ASSERT_EQ(m->used, pushed);

    push_from_threads(m, remote, [] {});
    BlockChain out;
    EXPECT_EQ(remote_drain(m, &out, take), take);
    EXPECT_EQ(out.count, take);
    EXPECT_EQ(m->used, take);
    EXPECT_EQ(m->remote_head.load(), 0u);
    std::vector<void*> free_list = chain_blocks(m->free_list);
    EXPECT_EQ(free_list.size(), pushed - take + already_free);
    std::vector<void*> back = chain_blocks(out.head);
    expect_tagged(back);
    back.insert(back.end(), free_list.begin(), free_list.end());
    expect_same_blocks(back, blocks_);
    expect_accounted(m);
    put_all(m, chain_blocks(out.head));
  }
}

TEST_F(RemoteList, DrainOfAnEmptyListChangesNothing) {
  SlabMeta* m = slab_with_live_blocks(5);
  ASSERT_NE(m, nullptr);
  slab_put_local(m, blocks_[0]);
  BlockChain out;
  EXPECT_EQ(remote_drain(m, &out, 100), 0u);
  EXPECT_EQ(out.count, 0u);
  EXPECT_EQ(out.head, nullptr);
  EXPECT_EQ(m->used, 4u);
  EXPECT_EQ(m->free_list, blocks_[0]);
  EXPECT_EQ(free_blocks(m), 1u);
  expect_accounted(m);
  put_all(m, {blocks_.begin() + 1, blocks_.end()});
}

// A chain no longer than `whole` goes to the caller whole, behind what it gathered already,
// with its tail unknown (BlockChain::append_whole); one block longer, it is walked as before.
TEST_F(RemoteList, AChainThatFitsIsTakenWhole) {
  const uint32_t pushed = 40;
  SlabMeta* m = slab_with_live_blocks(pushed + 2);
  ASSERT_NE(m, nullptr);
  std::vector<void*> remote(blocks_.begin(), blocks_.begin() + pushed);
  push_from_threads(m, remote, [] {});
  BlockChain out;
  out.push(blocks_[pushed]);   // gathered before the drain: the chain goes behind it
  EXPECT_EQ(remote_drain(m, &out, 5, pushed - 1), 5u);   // too long for `whole`: 5 walked
  EXPECT_EQ(out.count, 6u);
  EXPECT_EQ(free_blocks(m), pushed - 5);
  expect_accounted(m);

  BlockChain whole;
  whole.push(blocks_[pushed + 1]);
  std::vector<void*> again = chain_blocks(m->free_list);
  m->free_list = nullptr;   // back to the remote list, for a whole take
  m->used += pushed - 5;
  push_from_threads(m, again, [] {});
  EXPECT_EQ(remote_drain(m, &whole, 1, pushed - 5), pushed - 5);
  EXPECT_EQ(whole.count, pushed - 5 + 1);
  EXPECT_EQ(whole.tail, nullptr);
  EXPECT_FALSE(whole.can_append());
  EXPECT_EQ(whole.head, blocks_[pushed + 1]);
  EXPECT_EQ(m->remote_head.load(), 0u);
  EXPECT_EQ(m->free_list, nullptr);
  EXPECT_EQ(m->used, pushed + 2);   // every block with a user or in a chain
  expect_accounted(m);
  std::vector<void*> got = chain_blocks(whole.head);
  EXPECT_EQ(got.size(), whole.count);
  EXPECT_EQ(whole.take_tail(), got.back());
  std::vector<void*> walked = chain_blocks(out.head);
  got.insert(got.end(), walked.begin(), walked.end());
  expect_same_blocks(got, blocks_);
  put_all(m, got);
}

// The owner drains (a few at a time, and from the free list the rest lands on) while the
// threads push: what it collects, plus one drain after the last push, is every block once.
TEST_F(RemoteList, DrainsWhilePushingLoseNothing) {
  const uint32_t n = kThreads * kPerThread;
  SlabMeta* m = slab_with_live_blocks(n);
  ASSERT_NE(m, nullptr);
  BlockChain out;
  auto collect = [&] {
    remote_drain(m, &out, 7);
    slab_take_local(m, &out, 5);
  };
  push_from_threads(m, blocks_, [&] {
    for (int i = 0; i < 100000 && out.count < n / 2; ++i) {
      collect();
      std::this_thread::yield();
    }
  });
  for (int i = 0; i < 1000 && out.count < n; ++i) collect();
  expect_all_handed_out(m, out, blocks_);
}
