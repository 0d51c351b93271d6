// resident_bytes against the kernel. mincore(2) says which pages of a mapping are in RAM; the
// gauge counts a page from the allocator's first use of it until it is discarded or unmapped.
// So a slab's counted pages are the ones in RAM (the last one at most ahead, when the highest
// carved block runs into a page nobody wrote yet), a fresh SuperSlab counts its header and not
// its 2 MiB, and a large run's pages leave the gauge when the decay discards them.
// Transparent huge pages would back a touched page with 2 MiB: the test turns them off for
// itself, as the gauge counts 4 KiB pages.
#include <gtest/gtest.h>

#include <sys/mman.h>
#include <sys/prctl.h>

#include <cstring>
#include <set>
#include <vector>

#include "base/constants.h"
#include "counters/segment_storage.h"
#include "hakmem/hakmem.h"
#include "small/superslab.h"

namespace {

using hakmem::kPageSize;

uint64_t resident() { return hakmem::seg_load(hakmem::process_counts().resident_bytes); }
uint64_t mapped() { return hakmem::seg_load(hakmem::process_counts().mapped_bytes); }

// Bytes of [addr, addr + bytes) that the kernel has in RAM.
size_t in_ram(const void* addr, size_t bytes) {
  std::vector<unsigned char> pages(bytes / kPageSize);
  EXPECT_EQ(mincore(const_cast<void*>(addr), bytes, pages.data()), 0) << strerror(errno);
  size_t n = 0;
  for (unsigned char p : pages) n += p & 1;
  return n * kPageSize;
}

class Resident : public testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0), 0); }
};

TEST_F(Resident, AFreshSuperSlabCountsItsHeaderNotItsMapping) {
  uint64_t mapped_before = mapped(), resident_before = resident();
  void* p = hak_malloc(16);
  ASSERT_NE(p, nullptr);
  // This process's first small block: a SuperSlab, a heap and one carved batch.
  EXPECT_GE(mapped() - mapped_before, hakmem::kSuperSlabSize);
  uint64_t grown = resident() - resident_before;
  EXPECT_GE(grown, hakmem::kSuperSlabHeaderSize + kPageSize);
  EXPECT_LE(grown, uint64_t{64} << 10);
  EXPECT_LE(resident(), mapped());
  hak_free(p);
}

TEST_F(Resident, SlabsCountThePagesTheKernelHasInRam) {
  constexpr size_t kSize = 200;
  constexpr int kBlocks = 4000;   // about 13 slabs
  std::vector<void*> blocks;
  std::set<hakmem::SlabMeta*> slabs;
  for (int i = 0; i < kBlocks; ++i) {
    void* b = hak_malloc(kSize);
    ASSERT_NE(b, nullptr);
    memset(b, 0x5a, kSize);
    blocks.push_back(b);
    slabs.insert(hakmem::slab_of(hakmem::superslab_of(b), b));
  }
  uint64_t counted = 0;
  for (hakmem::SlabMeta* m : slabs) {
    auto* base = reinterpret_cast<char*>(hakmem::superslab_of(m)) + size_t{m->index} * hakmem::kSlabSize;
    size_t ram = in_ram(base, hakmem::kSlabSize);
    SCOPED_TRACE("slab " + std::to_string(m->index));
    EXPECT_EQ(m->touched % kPageSize, 0u);
    EXPECT_LE(ram, m->touched);
    EXPECT_GE(ram + kPageSize, m->touched);
    counted += m->touched;
  }
  EXPECT_GE(counted, uint64_t{kBlocks} * kSize);
  EXPECT_GE(resident(), counted);
  EXPECT_LE(resident(), mapped());
  for (void* b : blocks) hak_free(b);
}

TEST_F(Resident, LargeRunsCountUntilTheDecayDiscardsThem) {
  constexpr size_t kBytes = size_t{6} << 20;   // an arena run
  uint64_t before = resident();
  auto* p = static_cast<char*>(hak_malloc(kBytes));
  ASSERT_NE(p, nullptr);
  // A live run counts whole, written or not: it is the program's memory, live bytes too.
  uint64_t live_run = resident() - before;
  EXPECT_GE(live_run, kBytes);
  EXPECT_LE(live_run, kBytes + (size_t{256} << 10));   // plus a new arena's header
  memset(p, 1, size_t{1} << 20);
  EXPECT_EQ(in_ram(p, size_t{1} << 20), size_t{1} << 20);
  hak_free(p);
  // Freed, the pages stay resident for the next request until the decay (HAKMEM_DECAY_MS
  // after the free, or a forced trim now); then they leave the gauge and RAM together.
  EXPECT_LE(resident(), before + live_run);
  hak_malloc_trim(0);
  EXPECT_LE(resident(), before + (live_run - kBytes));
  EXPECT_LE(resident(), mapped());
}

}  // namespace
