// base/page_map.h: the map from 2 MiB chunk to what HAKMEM keeps there. Invariants:
// page_map_set marks every chunk that [base, base + bytes) touches, the first with `first` and
// the others with `rest`, and no chunk outside it; page_map_clear sets the same chunks back to
// kChunkNone; chunk_kind answers for any address inside a chunk; a range that leaves the
// 47-bit space (or wraps) is refused whole, marking nothing; an address beyond the space is
// kChunkNone. The ranges tested lie in address space this test reserves, so no other user of
// the map can own those chunks meanwhile.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "base/page_map.h"
#include "os/os.h"

namespace {

using namespace hakmem;

constexpr unsigned kChunks = 6;
const std::vector<int> kNone(kChunks, kChunkNone);
constexpr int N = kChunkNone, S = kChunkSuperSlab, H = kChunkLargeHead, T = kChunkLargeTail,
              A = kChunkLargeArena;

// kChunks chunks of address space, chunk-aligned, reserved for the test (never touched, so
// they cost no memory).
class PageMapRanges : public testing::Test {
 protected:
  void SetUp() override {
    mem_ = os::map_aligned(kChunks * kSuperSlabSize, kSuperSlabSize);
    ASSERT_NE(mem_, nullptr);
    base_ = reinterpret_cast<uintptr_t>(mem_);
    ASSERT_EQ(kinds(), kNone);
  }
  void TearDown() override {
    if (mem_ == nullptr) return;
    page_map_clear(base_, kChunks * kSuperSlabSize);
    os::unmap(mem_, kChunks * kSuperSlabSize);
  }
  uintptr_t chunk(unsigned i) const { return base_ + uintptr_t{i} * kSuperSlabSize; }
  ChunkKind kind(unsigned i, uintptr_t offset = 0) const { return chunk_kind(chunk(i) + offset); }
  // Every reserved chunk's kind, in address order (as numbers, for gtest's messages).
  std::vector<int> kinds() const {
    std::vector<int> out;
    for (unsigned i = 0; i < kChunks; ++i) out.push_back(kind(i));
    return out;
  }

  void* mem_ = nullptr;
  uintptr_t base_ = 0;
};

constexpr uintptr_t kTopChunk = (kPageMapEntries - 1) << kSuperSlabShift;

}  // namespace

TEST_F(PageMapRanges, SetMarksFirstAndRestAcrossChunks) {
  ASSERT_TRUE(page_map_set(chunk(1), 3 * kSuperSlabSize, kChunkLargeHead, kChunkLargeTail));
  EXPECT_EQ(kinds(), (std::vector<int>{N, H, T, T, N, N}));
  // Any address inside a chunk has its chunk's kind.
  EXPECT_EQ(kind(1, 1), kChunkLargeHead);
  EXPECT_EQ(kind(2, kSuperSlabSize / 2), kChunkLargeTail);
  EXPECT_EQ(kind(3, kSuperSlabSize - 1), kChunkLargeTail);
  EXPECT_EQ(kind(0, kSuperSlabSize - 1), kChunkNone);

  page_map_clear(chunk(1), 3 * kSuperSlabSize);
  EXPECT_EQ(kinds(), kNone);
}

TEST_F(PageMapRanges, OneChunkTakesFirstOnly) {
  ASSERT_TRUE(page_map_set(chunk(2), kSuperSlabSize, kChunkSuperSlab, kChunkLargeTail));
  EXPECT_EQ(kinds(), (std::vector<int>{N, N, S, N, N, N}));
  page_map_clear(chunk(2), kSuperSlabSize);
  EXPECT_EQ(kinds(), kNone);
}

TEST_F(PageMapRanges, APartChunkAtTheEndIsMarked) {
  // Two chunks and one byte touch three chunks.
  ASSERT_TRUE(page_map_set(chunk(0), 2 * kSuperSlabSize + 1, kChunkLargeArena, kChunkLargeArena));
  EXPECT_EQ(kinds(), (std::vector<int>{A, A, A, N, N, N}));
  page_map_clear(chunk(0), 2 * kSuperSlabSize + 1);
  EXPECT_EQ(kinds(), kNone);
}

TEST_F(PageMapRanges, ClearLeavesNeighboursMarked) {
  ASSERT_TRUE(page_map_set(chunk(0), kChunks * kSuperSlabSize, kChunkLargeHead, kChunkLargeTail));
  page_map_clear(chunk(2), 2 * kSuperSlabSize);
  EXPECT_EQ(kinds(), (std::vector<int>{H, T, N, N, T, T}));
}

TEST(PageMapBounds, RangesLeavingTheSpaceAreRefusedWhole) {
  // The top chunks of the 47-bit space hold no HAKMEM memory (the stack lives up there).
  const uintptr_t below = kTopChunk - kSuperSlabSize;
  ASSERT_EQ(chunk_kind(kTopChunk), kChunkNone);
  ASSERT_EQ(chunk_kind(below), kChunkNone);
  // Ending inside the space, at its very end: accepted (then cleared).
  ASSERT_TRUE(page_map_set(kTopChunk, kSuperSlabSize, kChunkLargeHead, kChunkLargeTail));
  EXPECT_EQ(chunk_kind(kTopChunk), kChunkLargeHead);
  page_map_clear(kTopChunk, kSuperSlabSize);
  EXPECT_EQ(chunk_kind(kTopChunk), kChunkNone);
  // Starting inside, ending one byte beyond: refused, and the chunks inside stay unmarked.
  EXPECT_FALSE(page_map_set(below, 2 * kSuperSlabSize + 1, kChunkLargeHead, kChunkLargeTail));
  EXPECT_EQ(chunk_kind(below), kChunkNone);
  EXPECT_EQ(chunk_kind(kTopChunk), kChunkNone);
  // Starting beyond.
  const uintptr_t beyond = uintptr_t{1} << 47;
  EXPECT_FALSE(page_map_set(beyond, kSuperSlabSize, kChunkSuperSlab, kChunkSuperSlab));
  // Wrapping round the address space.
  EXPECT_FALSE(page_map_set(below, UINTPTR_MAX - below + 2, kChunkSuperSlab, kChunkSuperSlab));
  EXPECT_EQ(chunk_kind(below), kChunkNone);
  EXPECT_EQ(chunk_kind(kTopChunk), kChunkNone);
}

TEST(PageMapBounds, AddressesBeyondTheSpaceAreNone) {
  EXPECT_EQ(chunk_kind(uintptr_t{1} << 47), kChunkNone);
  EXPECT_EQ(chunk_kind((uintptr_t{1} << 47) + kSuperSlabSize), kChunkNone);
  EXPECT_EQ(chunk_kind(uintptr_t{0xffff800000000000}), kChunkNone);   // kernel half
  EXPECT_EQ(chunk_kind(UINTPTR_MAX), kChunkNone);
  EXPECT_EQ(chunk_kind(0), kChunkNone);
}
