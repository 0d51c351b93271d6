// The hak_* malloc family, in-process: alignment of every API at every power of two up to
// 1 MiB, realloc contents and in-place rules, calloc zeroing and overflow, usable sizes,
// errno on bad arguments, and the page map's answer for ours / not ours.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>

#include "hakmem/hakmem.h"

namespace {

bool aligned(const void* p, size_t a) { return reinterpret_cast<uintptr_t>(p) % a == 0; }

void fill_and_check(void* p, size_t n, unsigned char v) {
  memset(p, v, n);
  auto* b = static_cast<unsigned char*>(p);
  for (size_t i = 0; i < n; i += 1 + n / 64) ASSERT_EQ(b[i], v);
  ASSERT_EQ(b[n - 1], v);
}

const size_t kSizes[] = {1, 24, 100, 1000, 5000, 40000, 300000};

}  // namespace

TEST(Alignment, EveryApiEveryPowerOfTwoUpTo1MiB) {
  for (size_t a = 1; a <= (size_t{1} << 20); a <<= 1) {
    for (size_t n : kSizes) {
      SCOPED_TRACE(testing::Message() << "align " << a << " size " << n);
      if (a >= sizeof(void*)) {
        void* p = nullptr;
        ASSERT_EQ(hak_posix_memalign(&p, a, n), 0);
        ASSERT_TRUE(aligned(p, a));
        ASSERT_GE(hak_malloc_usable_size(p), n);
        fill_and_check(p, n, 0x5a);
        hak_free(p);
      }
      void* q = hak_aligned_alloc(a, n);
      ASSERT_NE(q, nullptr);
      ASSERT_TRUE(aligned(q, a < 16 ? 16 : a));
      fill_and_check(q, n, 0x33);
      hak_free_aligned_sized(q, a, n);
      void* r = hak_memalign(a, n);
      ASSERT_NE(r, nullptr);
      ASSERT_TRUE(aligned(r, a));
      ASSERT_GE(hak_malloc_usable_size(r), n);
      hak_free(r);
    }
  }
}

TEST(Alignment, MallocGivesSixteenAndPageApisGivePages) {
  for (size_t n = 0; n < 70000; n += 97) {
    void* p = hak_malloc(n);
    ASSERT_TRUE(aligned(p, 16)) << n;
    hak_free_sized(p, n);
  }
  void* v = hak_valloc(10);
  EXPECT_TRUE(aligned(v, 4096));
  void* pv = hak_pvalloc(5000);
  EXPECT_TRUE(aligned(pv, 4096));
  EXPECT_GE(hak_malloc_usable_size(pv), 8192u);
  hak_free(v);
  hak_free(pv);
}

TEST(Alignment, BadAlignmentIsRefused) {
  void* p = reinterpret_cast<void*>(0x1);
  EXPECT_EQ(hak_posix_memalign(&p, 0, 8), EINVAL);
  EXPECT_EQ(hak_posix_memalign(&p, 24, 8), EINVAL);
  EXPECT_EQ(hak_posix_memalign(&p, 4, 8), EINVAL);   // not a multiple of sizeof(void*)
  EXPECT_EQ(p, reinterpret_cast<void*>(0x1));
  errno = 0;
  EXPECT_EQ(hak_aligned_alloc(24, 48), nullptr);
  EXPECT_EQ(errno, EINVAL);
  void* m = hak_memalign(24, 10);   // glibc rounds up to 32
  EXPECT_TRUE(aligned(m, 32));
  hak_free(m);
}

// As glibc (its tst-malloc-too-large): an alignment no memory can satisfy is ENOMEM, and only
// one that is no alignment at all (memalign above 2^63, where rounding up has no power of
// two to reach) is EINVAL.
TEST(Alignment, HugeAlignmentsAreOutOfMemory) {
  const size_t top = size_t{1} << 63;
  for (size_t a : {top, top / 2 + 1, top / 2 + 12345}) {
    errno = 0;
    EXPECT_EQ(hak_memalign(a, 16), nullptr) << a;
    EXPECT_EQ(errno, ENOMEM) << a;
  }
  errno = 0;
  EXPECT_EQ(hak_memalign(top + 1, 16), nullptr);
  EXPECT_EQ(errno, EINVAL);
  errno = 0;
  EXPECT_EQ(hak_aligned_alloc(top, 16), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  void* p = nullptr;
  EXPECT_EQ(hak_posix_memalign(&p, top, 16), ENOMEM);
}

TEST(Realloc, KeepsContentsAcrossClassesAndIntoLarge) {
  size_t n = 8;
  auto* p = static_cast<unsigned char*>(hak_malloc(n));
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<unsigned char>(i * 7);
  while (n < 3 * 1024 * 1024) {
    size_t next = n * 3 / 2 + 5;
    p = static_cast<unsigned char*>(hak_realloc(p, next));
    ASSERT_NE(p, nullptr);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(p[i], static_cast<unsigned char>(i * 7)) << n;
    for (size_t i = n; i < next; ++i) p[i] = static_cast<unsigned char>(i * 7);
    ASSERT_TRUE(hak_owns(p + next - 1)) << "grown block's end not in the page map";
    ASSERT_GE(hak_malloc_usable_size(p), next);
    n = next;
  }
  // And back down into the small classes.
  p = static_cast<unsigned char*>(hak_realloc(p, 100));
  for (size_t i = 0; i < 100; ++i) ASSERT_EQ(p[i], static_cast<unsigned char>(i * 7));
  hak_free(p);
}

TEST(Realloc, StaysInPlaceWithinTheClassOrSpan) {
  void* p = hak_malloc(100);   // class 112
  EXPECT_EQ(hak_realloc(p, 112), p);
  EXPECT_EQ(hak_realloc(p, 97), p);
  void* q = hak_realloc(p, 113);
  EXPECT_NE(q, p);
  hak_free(q);
  void* big = hak_malloc(1000000);
  size_t span = hak_malloc_usable_size(big);
  EXPECT_EQ(hak_realloc(big, span), big);
  EXPECT_EQ(hak_realloc(big, 900000), big);
  hak_free(big);
}

TEST(Realloc, NullAndZeroAndOverflow) {
  void* p = hak_realloc(nullptr, 50);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(hak_realloc(p, 0), nullptr);   // freed, like glibc
  errno = 0;
  EXPECT_EQ(hak_reallocarray(nullptr, SIZE_MAX / 2, 3), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  void* r = hak_reallocarray(nullptr, 10, 10);
  EXPECT_GE(hak_malloc_usable_size(r), 100u);
  hak_free(r);
}

TEST(Calloc, ZeroesRecycledMemoryAndCatchesOverflow) {
  for (size_t n : {16, 200, 3000, 30000, 100000, 5000000}) {
    std::vector<void*> dirty;
    for (int i = 0; i < 8; ++i) {
      void* d = hak_malloc(n);
      memset(d, 0xff, n);
      dirty.push_back(d);
    }
    for (void* d : dirty) hak_free(d);
    for (int i = 0; i < 8; ++i) {
      auto* z = static_cast<unsigned char*>(hak_calloc(1, n));
      ASSERT_NE(z, nullptr);
      for (size_t j = 0; j < n; ++j) ASSERT_EQ(z[j], 0) << n << " at " << j;
      dirty[i] = z;
    }
    for (void* d : dirty) hak_free(d);
  }
  errno = 0;
  EXPECT_EQ(hak_calloc(SIZE_MAX / 8, 16), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

TEST(Malloc, UsableSizeCoversTheRequest) {
  for (size_t n = 0; n < 300000; n = n < 2048 ? n + 1 : n * 9 / 8) {
    void* p = hak_malloc(n);
    ASSERT_NE(p, nullptr);
    ASSERT_GE(hak_malloc_usable_size(p), n);
    memset(p, 1, hak_malloc_usable_size(p));   // all of it is ours to write
    hak_free(p);
  }
  EXPECT_EQ(hak_malloc_usable_size(nullptr), 0u);
}

TEST(Malloc, HugeRequestFailsWithEnomem) {
  errno = 0;
  EXPECT_EQ(hak_malloc(SIZE_MAX - 4096), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  errno = 0;
  EXPECT_EQ(hak_malloc(size_t{1} << 47), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

TEST(PageMap, AnswersOursAndNotOurs) {
  int on_stack = 0;
  static int in_data = 0;
  void* from_libc = malloc(64);
  void* small = hak_malloc(64);
  void* large = hak_malloc(5 << 20);
  EXPECT_TRUE(hak_owns(small));
  EXPECT_TRUE(hak_owns(large));
  EXPECT_TRUE(hak_owns(static_cast<char*>(large) + (4 << 20)));
  EXPECT_FALSE(hak_owns(&on_stack));
  EXPECT_FALSE(hak_owns(&in_data));
  EXPECT_FALSE(hak_owns(from_libc));
  EXPECT_FALSE(hak_owns(nullptr));
  EXPECT_FALSE(hak_owns(reinterpret_cast<void*>(uintptr_t{1} << 62)));
  hak_free(small);
  hak_free(large);
  free(from_libc);
}

TEST(Trim, ReturnsEmptySuperSlabsToTheOs) {
  std::vector<void*> blocks;
  for (int i = 0; i < 200000; ++i) blocks.push_back(hak_malloc(256));
  hak_stats before;
  hak_stats_snapshot(&before);
  for (void* b : blocks) hak_free(b);
  EXPECT_EQ(hak_malloc_trim(0), 1);
  hak_stats after;
  hak_stats_snapshot(&after);
  EXPECT_LT(after.mapped_bytes + (32u << 20), before.mapped_bytes)
      << "before " << before.mapped_bytes << " after " << after.mapped_bytes;
}

// malloc_stats (hak_print_stats) is no cancellation point, as glibc's is not: a thread with a
// cancellation pending prints the whole summary and is cancelled at its next cancellation
// point, not inside the allocator.
TEST(Stats, PrintingIsNoCancellationPoint) {
  static std::atomic<bool> printed{false};
  printed = false;
  pthread_t t;
  ASSERT_EQ(pthread_create(&t, nullptr, [](void*) -> void* {
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    pthread_cancel(pthread_self());   // pending: deferred cancellation, the default
    hak_print_stats(fd);
    printed = true;
    close(fd);                         // a cancellation point: the thread ends here
    pthread_testcancel();
    return nullptr;
  }, nullptr), 0);
  void* result = nullptr;
  ASSERT_EQ(pthread_join(t, &result), 0);
  EXPECT_EQ(result, PTHREAD_CANCELED);
  EXPECT_TRUE(printed.load()) << "the thread was cancelled inside hak_print_stats";
}

// malloc_stats (hak_malloc_stats) ends with glibc's totals in glibc's words and columns, for
// scripts that read them (glibc's tst-malloc-stats-cancellation looks for "max mmap bytes"):
// after two spans live at once, the peaks count both.
TEST(Stats, MallocStatsEndsWithGlibcTotals) {
  void* a = hak_malloc(20u << 20);
  void* b = hak_malloc(30u << 20);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  hak_free(a);
  hak_free(b);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  int saved = dup(STDERR_FILENO);
  dup2(fds[1], STDERR_FILENO);
  close(fds[1]);
  hak_malloc_stats();
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  size_t total = out.find("\nTotal (incl. mmap):\nsystem bytes     = ");
  ASSERT_NE(total, std::string::npos) << out;
  EXPECT_NE(out.find("\nin use bytes     = ", total), std::string::npos) << out;
  size_t regions = out.find("\nmax mmap regions = ", total);
  size_t bytes = out.find("\nmax mmap bytes   = ", total);
  ASSERT_NE(regions, std::string::npos) << out;
  ASSERT_NE(bytes, std::string::npos) << out;
  EXPECT_GE(std::stoull(out.substr(regions + 20, 10)), 2u) << out;
  EXPECT_GE(std::stoull(out.substr(bytes + 20, 10)), 50ull << 20) << out;
  EXPECT_EQ(out.back(), '\n');
}
