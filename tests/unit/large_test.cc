// Large blocks in arenas (src/large/arena_runs.cc), in-process through the hak_* API: runs split
// and merge, freed memory is reused without new mappings or page faults, a span above 8 MiB
// grows into a cached one's pages, alignment, calloc
// zeroes reused dirty pages, the decay and malloc_trim return memory, realloc grows and
// shrinks in place and keeps contents, the counters are exact, and two threads share the arenas.
//
// Placement facts the tests rely on (arena_runs.cc): a run is cut from the start of the
// free run chosen; an arena empty of live runs is unmapped by malloc_trim; the first arena
// mapped after a trim is empty, so consecutive requests get consecutive runs.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "hakmem/hakmem.h"
#include "stats_snapshot.h"

namespace {

constexpr size_t kKiB = 1024, kMiB = 1024 * 1024, kPage = 4096;

int os_call(const char* name) {
  for (int i = 0; i < HAK_NUM_OS_CALLS; ++i) {
    if (strcmp(hak_os_call_name(i), name) == 0) return i;
  }
  return -1;
}

long minor_faults() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

char* addr(void* p) { return static_cast<char*>(p); }
// An arena block's run is found from its first page; its user pointer sits at a cache line of
// that page (arena_colour).
uintptr_t run_of(const void* p) { return reinterpret_cast<uintptr_t>(p) & ~uintptr_t{kPage - 1}; }
size_t colour_of(const void* p) { return reinterpret_cast<uintptr_t>(p) % kPage; }

// Every test starts with no arena: all previous large blocks are freed, so trim unmaps them.
class Large : public testing::Test {
 protected:
  void SetUp() override { hak_malloc_trim(0); }
};

TEST_F(Large, RunsSplitAndFreedNeighboursMerge) {
  void* a = hak_malloc(1 * kMiB);
  void* b = hak_malloc(1 * kMiB);
  void* c = hak_malloc(1 * kMiB);
  ASSERT_EQ(addr(b), addr(a) + kMiB);   // split off the front of the arena's free run
  ASSERT_EQ(addr(c), addr(b) + kMiB);
  hak_free(a);
  hak_free(b);   // merges with a
  void* ab = hak_malloc(2 * kMiB);
  EXPECT_EQ(ab, a);
  hak_free(ab);
  // Above kLocalRunMaxBytes (256 KiB), so that freeing them goes straight back to the arena.
  void* small = hak_malloc(300 * kKiB);   // split of the merged run, the rest stays free
  EXPECT_EQ(small, a);
  void* next = hak_malloc(400 * kKiB);
  EXPECT_EQ(addr(next), addr(a) + 300 * kKiB);
  hak_free(c);   // merges with the arena's free tail
  hak_free(small);
  hak_free(next);
  void* whole = hak_malloc(8 * kMiB);   // everything merged back: the arena's first run again
  EXPECT_EQ(whole, a);
  hak_free(whole);
}

TEST_F(Large, FreedRunsAreReusedWithoutMappingsOrPageFaults) {
  const size_t sizes[] = {64 * kKiB, 100 * kKiB, 300 * kKiB, 1 * kMiB, 3 * kMiB, 4 * kMiB - 1,
                          700 * kKiB};
  constexpr size_t kN = std::size(sizes);
  std::vector<void*> v;
  for (size_t n : sizes) v.push_back(hak_malloc(n));
  for (size_t i = 0; i < v.size(); ++i) memset(v[i], 1, sizes[i]);
  for (void* p : v) hak_free(p);
  hak_stats before = snap();
  long faults = minor_faults();
  for (size_t round = 0; round < 20; ++round) {   // the same sizes, in another order each round
    v.clear();
    for (size_t i = 0; i < kN; ++i) v.push_back(hak_malloc(sizes[(i + round) % kN]));
    for (size_t i = 0; i < kN; ++i) {
      for (size_t off = 0; off < sizes[(i + round) % kN]; off += kPage) addr(v[i])[off] = 2;
    }
    for (size_t i = kN; i-- > 0;) hak_free(v[i]);
  }
  long faulted = minor_faults() - faults;
  hak_stats after = snap();
  EXPECT_EQ(after.os_calls[os_call("mmap")], before.os_calls[os_call("mmap")]);
  EXPECT_EQ(after.os_calls[os_call("munmap")], before.os_calls[os_call("munmap")]);
  EXPECT_EQ(after.mapped_bytes, before.mapped_bytes);
  // 20 rounds touch ~47,000 pages; fresh memory would fault on each.
  EXPECT_LT(faulted, 2000);
}

TEST_F(Large, AlignedRunsUpTo1MiB) {
  std::vector<void*> keep;   // live neighbours, so aligned runs are cut from used arenas too
  for (size_t align = 8 * kKiB; align <= kMiB; align <<= 1) {
    for (size_t n : {40 * kKiB, 300 * kKiB, 3 * kMiB, 7 * kMiB}) {
      SCOPED_TRACE(testing::Message() << "align " << align << " size " << n);
      void* p = nullptr;
      ASSERT_EQ(hak_posix_memalign(&p, align, n), 0);
      ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % align, 0u);
      ASSERT_GE(hak_malloc_usable_size(p), n);
      memset(p, 0x5a, n);
      void* q = hak_aligned_alloc(align, n);
      ASSERT_EQ(reinterpret_cast<uintptr_t>(q) % align, 0u);
      memset(q, 0x33, n);
      ASSERT_EQ(addr(p)[n - 1], 0x5a);
      hak_free(p);
      keep.push_back(q);
      keep.push_back(hak_malloc(n / 3 + 33 * kKiB));
    }
  }
  for (size_t align = 8 * kKiB; align <= kMiB; align <<= 1) {   // zero bytes still get a page
    void* p = hak_aligned_alloc(align, 0);
    ASSERT_NE(p, nullptr);
    ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % align, 0u);
    EXPECT_EQ(hak_malloc_usable_size(p), kPage);
    keep.push_back(p);
  }
  for (void* p : keep) hak_free(p);
}

// Found by tests/fuzz/alloc_fuzz. Alignments above the arena's 1 MiB are served by own
// mappings (spans), which are only 2 MiB aligned: the block used to start `align` bytes into
// its span, so above 2 MiB it was aligned to 2 MiB only, half of the time (fresh spans and
// cached ones alike); and a zero-byte request got the address just past its mapping (usable
// size 0), which may be another block's, e.g. a SuperSlab's base.
TEST_F(Large, AlignmentsAboveTheArenaLimit) {
  for (size_t align = 2 * kMiB; align <= 64 * kMiB; align <<= 1) {
    std::vector<void*> keep;
    for (int round = 0; round < 2; ++round) {   // the second round takes cached spans
      for (size_t n : {size_t{0}, size_t{16}, 3 * kMiB, 9 * kMiB, 1 * kMiB, 12 * kMiB, 64 * kKiB, 5 * kMiB, size_t{0}}) {
        SCOPED_TRACE(testing::Message() << "align " << align << " size " << n << " round " << round);
        void* p = hak_aligned_alloc(align, n);
        ASSERT_NE(p, nullptr);
        ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % align, 0u);
        ASSERT_EQ(hak_owns(p), 1);
        ASSERT_GE(hak_malloc_usable_size(p), n == 0 ? 1 : n);
        memset(p, 0x5a, n == 0 ? 1 : n);
        keep.push_back(p);
      }
      for (void* p : keep) hak_free(p);
      keep.clear();
    }
  }
}

// A block above 8 MiB that no cached span holds takes over the biggest cached span's pages:
// the new mapping gets them moved in (one mremap of the cached span's bytes) and faults only
// its tail, and the cache keeps no span the working set outgrew. calloc reads zeros there.
TEST_F(Large, SpansGrowIntoTheBiggestCachedOnesPages) {
  const int mremap_call = os_call("mremap");
  for (bool zeroed : {false, true}) {
    SCOPED_TRACE(zeroed ? "calloc" : "malloc");
    hak_malloc_trim(0);   // no cached span
    char* old = addr(hak_malloc(12 * kMiB));
    ASSERT_NE(old, nullptr);
    memset(old, 0xab, 12 * kMiB);
    hak_free(old);
    hak_stats before = snap();
    char* p = addr(zeroed ? hak_calloc(1, 20 * kMiB) : hak_malloc(20 * kMiB));
    ASSERT_NE(p, nullptr);
    hak_stats after = snap();
    EXPECT_EQ(after.os_calls[mremap_call] - before.os_calls[mremap_call], 1u);
    EXPECT_EQ(after.os_bytes[mremap_call] - before.os_bytes[mremap_call], 12 * kMiB + kPage);
    // Spans of 12 MiB and 20 MiB, each with its page of header: the cached one is gone.
    EXPECT_EQ(after.mapped_bytes - before.mapped_bytes, 8 * kMiB);
    if (zeroed) {
      for (size_t off = 0; off < 20 * kMiB; off += 512) ASSERT_EQ(p[off], 0) << off;
    } else {
      // Before any write: the old span's 3,073 pages are resident in the new block's first 12
      // MiB, with the old bytes; its 8 MiB tail is not (fresh memory would have none at all).
      // Counted with mincore, not page faults: a sanitizer's shadow of the new addresses faults.
      EXPECT_EQ(p[0], static_cast<char>(0xab));
      EXPECT_EQ(p[12 * kMiB - 1], static_cast<char>(0xab));
      auto base = reinterpret_cast<uintptr_t>(p) & ~uintptr_t{kPage - 1};
      std::vector<unsigned char> in(20 * kMiB / kPage + 1);
      ASSERT_EQ(mincore(reinterpret_cast<void*>(base), 20 * kMiB, in.data()), 0);
      size_t head = 0, tail = 0;
      for (size_t i = 0; i < in.size() - 1; ++i) (i < 12 * kMiB / kPage ? head : tail) += in[i] & 1;
      EXPECT_EQ(head, 12 * kMiB / kPage);
      EXPECT_LT(tail, 16u);
    }
    hak_free(p);
  }
}

TEST_F(Large, CallocZeroesReusedDirtyRuns) {
  constexpr size_t kLater = 300 * kKiB;   // above kLocalRunMaxBytes: freed into the arena
  for (size_t n : {260 * kKiB, 900 * kKiB, 3 * kMiB + 5}) {
    SCOPED_TRACE(n);
    void* dirty = hak_malloc(n);
    memset(dirty, 0xab, n);
    void* later = hak_malloc(kLater);   // fresh pages after the dirty ones
    hak_free(dirty);
    hak_free(later);
    // The same place again (LIFO reuse), now spanning dirty and fresh pages.
    auto* z = static_cast<unsigned char*>(hak_calloc(1, n + kLater));
    ASSERT_EQ(run_of(z), run_of(dirty));
    for (size_t i = 0; i < n + kLater; ++i) ASSERT_EQ(z[i], 0) << i;
    memset(z, 0xcd, n + kLater);
    hak_free(z);
  }
  // A run from the thread's own cache of freed runs is dirty all over: calloc clears it.
  auto* d = static_cast<unsigned char*>(hak_malloc(100 * kKiB));
  memset(d, 0xab, 100 * kKiB);
  hak_free(d);
  auto* z = static_cast<unsigned char*>(hak_calloc(1, 90 * kKiB));
  ASSERT_EQ(run_of(z), run_of(d));
  for (size_t i = 0; i < 90 * kKiB; ++i) ASSERT_EQ(z[i], 0) << i;
  hak_free(z);
}

TEST_F(Large, SmallRunsComeBackToTheirThreadWithoutTheLock) {
  int arena_lock = 5;   // appended in minor 1
  ASSERT_STREQ(hak_lock_name(arena_lock), "large_arena");
  void* p = hak_malloc(100 * kKiB);
  hak_free(p);   // kept by this thread's heap
  hak_stats before = snap();
  for (int i = 0; i < 100; ++i) {   // realloc growth: similar sizes freed and allocated in turn
    void* q = hak_malloc(i % 2 == 0 ? 90 * kKiB : 60 * kKiB);
    EXPECT_EQ(run_of(q), run_of(p));
    hak_free(q);
  }
  hak_stats after = snap();
  EXPECT_EQ(after.locks[arena_lock].acquisitions, before.locks[arena_lock].acquisitions);
  EXPECT_EQ(after.large_allocs - before.large_allocs, 100u);
  EXPECT_EQ(after.large_frees - before.large_frees, 100u);
  EXPECT_EQ(after.large_live_bytes, before.large_live_bytes);
  void* big = hak_malloc(200 * kKiB);   // more than twice the cached run: from the arena
  EXPECT_NE(run_of(big), run_of(p));
  hak_free(big);
}

TEST_F(Large, DecayAndTrimReturnFreePages) {
  std::vector<void*> v;
  for (int i = 0; i < 6; ++i) {
    v.push_back(hak_malloc(2 * kMiB));
    memset(v.back(), 7, 2 * kMiB);
  }
  int madvise = os_call("madvise"), munmap = os_call("munmap");
  // The helper thread runs only while a second application thread lives (DESIGN.md, Lifetime).
  std::atomic<bool> ready{false}, done{false};
  std::thread second([&] {
    hak_free(hak_malloc(64));   // its SuperSlab's mapping trims with munmap: before `before`
    ready.store(true);
    while (!done.load()) usleep(1000);
  });
  while (!ready.load()) usleep(1000);
  hak_stats before = snap();
  hak_free(v[1]);
  hak_free(v[3]);   // two free runs between live ones: 4 MiB of dirty free pages
  // HAKMEM_DECAY_MS (250 by default) later the helper thread discards them.
  hak_stats after = before;
  for (int i = 0; i < 40 && after.os_bytes[madvise] < before.os_bytes[madvise] + 4 * kMiB; ++i) {
    usleep(50 * 1000);
    after = snap();
  }
  done.store(true);
  second.join();
  EXPECT_GE(after.os_bytes[madvise] - before.os_bytes[madvise], 4 * kMiB);
  EXPECT_EQ(after.os_calls[munmap], before.os_calls[munmap]);
  // Freed and trimmed at once: the dirty pages go now, and the empty arena is unmapped.
  hak_free(v[0]);
  before = snap();
  hak_malloc_trim(0);
  after = snap();
  EXPECT_GE(after.os_bytes[madvise] - before.os_bytes[madvise], 2 * kMiB);
  hak_free(v[2]);
  hak_free(v[4]);
  hak_free(v[5]);
  before = snap();
  hak_malloc_trim(0);
  after = snap();
  EXPECT_GE(after.os_bytes[munmap] - before.os_bytes[munmap], 32 * kMiB);
  EXPECT_LE(after.mapped_bytes + 32 * kMiB, before.mapped_bytes);
}

TEST_F(Large, ReallocResizesInPlaceAndKeepsContents) {
  auto* p = static_cast<unsigned char*>(hak_malloc(100 * kKiB));
  for (size_t i = 0; i < 100 * kKiB; ++i) p[i] = static_cast<unsigned char>(i * 7);
  auto* grown = static_cast<unsigned char*>(hak_realloc(p, 1 * kMiB));
  EXPECT_EQ(grown, p);   // the free run after it takes the growth
  EXPECT_GE(hak_malloc_usable_size(grown), 1 * kMiB);
  void* blocker = hak_malloc(64 * kKiB);   // right after the grown run
  EXPECT_EQ(static_cast<unsigned char*>(blocker), grown + kMiB);
  auto* moved = static_cast<unsigned char*>(hak_realloc(grown, 3 * kMiB));
  EXPECT_NE(moved, grown);
  hak_stats before = snap();
  auto* shrunk = static_cast<unsigned char*>(hak_realloc(moved, 40 * kKiB));
  EXPECT_EQ(shrunk, moved);   // the run gave its tail back
  EXPECT_EQ(hak_malloc_usable_size(shrunk), 40 * kKiB);
  EXPECT_EQ(before.large_live_bytes - snap().large_live_bytes, 3 * kMiB - 40 * kKiB);
  for (size_t i = 0; i < 40 * kKiB; ++i) {
    ASSERT_EQ(shrunk[i], static_cast<unsigned char>(i * 7)) << i;
  }
  hak_free(shrunk);
  hak_free(blocker);
}

// Blocks whose last page leaves room start at different cache lines of their first page, each
// within its run, aligned as asked; a block of whole pages starts at its page.
TEST_F(Large, BlocksStartAtCacheLinesTheirSlackLeaves) {
  std::vector<void*> v;
  std::vector<size_t> colours;
  for (int i = 0; i < 32; ++i) {
    size_t n = 100 * kKiB + 2000 + 64 * static_cast<size_t>(i);   // 2 KiB or less of slack
    void* p = hak_malloc(n);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(colour_of(p) % 64, 0u);
    EXPECT_LE(colour_of(p) + n, 26 * kPage);   // within its 26 pages
    EXPECT_EQ(hak_malloc_usable_size(p), 26 * kPage - colour_of(p));
    memset(p, 0x11, n);
    colours.push_back(colour_of(p));
    v.push_back(p);
  }
  std::sort(colours.begin(), colours.end());
  EXPECT_GE(std::unique(colours.begin(), colours.end()) - colours.begin(), 8);
  void* aligned = nullptr;
  ASSERT_EQ(hak_posix_memalign(&aligned, 1024, 100 * kKiB + 10), 0);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(aligned) % 1024, 0u);
  v.push_back(aligned);
  void* whole = hak_malloc(64 * kKiB);
  EXPECT_EQ(colour_of(whole), 0u);
  v.push_back(whole);
  for (void* p : v) hak_free(p);
}

TEST_F(Large, CountersAreExact) {
  hak_stats before = snap();
  void* a = hak_malloc(100 * kKiB + 1);   // 26 pages
  void* b = hak_calloc(3, kMiB);
  void* c = nullptr;
  ASSERT_EQ(hak_posix_memalign(&c, 256 * kKiB, 50 * kKiB), 0);
  hak_stats live = snap();
  EXPECT_EQ(live.large_allocs - before.large_allocs, 3u);
  // A block's run holds it from its user pointer on (arena_colour); whole pages leave none.
  size_t a_usable = 26 * kPage - colour_of(a);
  EXPECT_EQ(colour_of(b), 0u);
  EXPECT_EQ(live.large_live_bytes - before.large_live_bytes, a_usable + 3 * kMiB + 52 * kKiB);
  EXPECT_EQ(hak_malloc_usable_size(a), a_usable);
  a = hak_realloc(a, 200 * kKiB);
  hak_stats grown = snap();
  EXPECT_EQ(grown.large_live_bytes - live.large_live_bytes, 200 * kKiB - a_usable);
  hak_free(a);
  hak_free(b);
  hak_free(c);
  hak_stats after = snap();
  EXPECT_EQ(after.large_allocs - before.large_allocs, 4u);   // b right after a: realloc moved it
  EXPECT_EQ(after.large_frees - before.large_frees, 4u);
  EXPECT_EQ(after.large_live_bytes, before.large_live_bytes);
}

// Heaps take the arena shards in turn at their first large request: two threads allocating
// side by side get runs of different arenas (different locks), and each frees the other's.
TEST_F(Large, ThreadsSideBySideAllocateFromDifferentArenas) {
  hak_stats before = snap();
  std::atomic<int> arrived{0};
  void* got[2] = {};
  auto worker = [&](int i) {
    got[i] = hak_malloc(1 * kMiB);
    arrived.fetch_add(1);
    while (arrived.load() < 2) std::this_thread::yield();   // both alive: two heaps
  };
  std::thread t0(worker, 0), t1(worker, 1);
  t0.join();
  t1.join();
  ASSERT_NE(got[0], nullptr);
  ASSERT_NE(got[1], nullptr);
  auto arena = [](void* p) { return reinterpret_cast<uintptr_t>(p) >> 25; };   // 32 MiB arenas
  EXPECT_NE(arena(got[0]), arena(got[1]));
  std::thread([&] { hak_free(got[0]); }).join();
  std::thread([&] { hak_free(got[1]); }).join();
  EXPECT_EQ(snap().large_live_bytes, before.large_live_bytes);
}

TEST_F(Large, TwoThreadsShareTheArenas) {
  auto worker = [](unsigned seed) {
    std::mt19937_64 rng(seed);
    void* slot[8] = {};
    size_t len[8] = {};
    for (int i = 0; i < 400; ++i) {
      unsigned k = rng() % 8;
      if (slot[k] != nullptr) {
        auto* b = static_cast<unsigned char*>(slot[k]);
        ASSERT_EQ(b[0], static_cast<unsigned char>(k + seed));
        ASSERT_EQ(b[len[k] - 1], static_cast<unsigned char>(k + seed));
        hak_free(slot[k]);
      }
      len[k] = 40 * kKiB + rng() % (2 * kMiB);
      slot[k] = rng() % 4 == 0 ? hak_calloc(1, len[k]) : hak_malloc(len[k]);
      ASSERT_NE(slot[k], nullptr);
      auto* b = static_cast<unsigned char*>(slot[k]);
      b[0] = b[len[k] - 1] = static_cast<unsigned char>(k + seed);
    }
    for (void* p : slot) hak_free(p);
  };
  std::thread t1(worker, 1), t2(worker, 2);
  t1.join();
  t2.join();
}

}  // namespace
