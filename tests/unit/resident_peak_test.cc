// The footprint at the peak (counters/resident_peak.h): peak_resident_bytes follows the
// highest resident_bytes within one step (1/64 of it, at least 64 KiB), with the mapped and
// live bytes of the same moment, and stays when the footprint falls again.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "counters/segment_storage.h"
#include "hakmem/hakmem.h"

namespace {

using hakmem::seg_load;

const hak_seg_process& counts() { return hakmem::process_counts(); }
uint64_t resident() { return seg_load(counts().resident_bytes); }
uint64_t peak_resident() { return seg_load(counts().peak_resident_bytes); }
uint64_t peak_mapped() { return seg_load(counts().peak_mapped_bytes); }
uint64_t peak_live() { return seg_load(counts().peak_live_bytes); }
uint64_t step_at(uint64_t resident) { return std::max<uint64_t>(resident / 64, 64 << 10); }

uint64_t live_now() {
  hak_stats s;
  hak_stats_snapshot(&s);
  uint64_t live = s.large_live_bytes;
  for (const hak_class_stats& c : s.classes) live += c.live_bytes;
  return live;
}

// Holds kBlocks blocks of kSize bytes (one class, so live bytes are exact), checking the peak
// after every 64 of them.
constexpr size_t kSize = 2048;
constexpr int kBlocks = 24000;   // about 48 MiB

TEST(ResidentPeak, ASteadyClimbIsRecordedWithinOneStep) {
  std::vector<void*> blocks;
  blocks.reserve(kBlocks);
  for (int i = 0; i < kBlocks; ++i) {
    blocks.push_back(hak_malloc(kSize));
    ASSERT_NE(blocks.back(), nullptr);
    if (i % 64 != 63) continue;
    uint64_t r = resident(), pr = peak_resident();
    ASSERT_LE(pr, r) << "block " << i;   // the footprint only climbs here
    ASSERT_LT(r - pr, step_at(r)) << "block " << i << ": resident " << r << ", peak " << pr;
  }
  uint64_t r = resident(), pr = peak_resident(), live = live_now();
  EXPECT_GE(peak_mapped(), pr);
  EXPECT_LE(peak_mapped(), seg_load(counts().mapped_bytes));
  // Live bytes at the record: all blocks then held, so at most now's, and short of now's by
  // what was allocated since, which the resident bytes grown since (plus one carved batch of
  // a slab) bound.
  EXPECT_LE(peak_live(), live);
  EXPECT_GE(peak_live() + (r - pr) + (256 << 10), live);
  EXPECT_GE(peak_live(), uint64_t{kBlocks} * kSize / 2);
  for (void* p : blocks) hak_free(p);
}

TEST(ResidentPeak, TheRecordStaysWhenTheFootprintFalls) {
  std::vector<void*> blocks;
  for (int i = 0; i < kBlocks; ++i) blocks.push_back(hak_malloc(kSize));
  uint64_t high = peak_resident(), live_high = peak_live();
  for (void* p : blocks) hak_free(p);
  hak_malloc_trim(0);
  void* small = hak_malloc(64);
  EXPECT_EQ(peak_resident(), high);
  EXPECT_EQ(peak_live(), live_high);
  EXPECT_GE(peak_live(), uint64_t{kBlocks} * kSize / 2);
  hak_free(small);
}

TEST(ResidentPeak, AForkedChildStartsFromWhatItInherited) {
  std::vector<void*> blocks;
  for (int i = 0; i < kBlocks; ++i) blocks.push_back(hak_malloc(kSize));
  for (size_t i = kBlocks / 4; i < blocks.size(); ++i) hak_free(blocks[i]);
  blocks.resize(kBlocks / 4);
  hak_malloc_trim(0);
  ASSERT_GT(peak_live(), uint64_t{kBlocks} * kSize / 2);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The parent's peak held all blocks; the child's holds the quarter it inherited.
    uint64_t live = uint64_t{kBlocks / 4} * kSize;
    bool ok = peak_resident() <= resident() && peak_live() >= live && peak_live() < live + (1 << 20);
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  for (void* p : blocks) hak_free(p);
}

}  // namespace
