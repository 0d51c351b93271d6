/* stress_mt: many short-lived threads doing random malloc-family operations on checked blocks.
 *
 * usage: stress_mt [SEED [THREADS [LIVES [OPS_PER_LIFE [SLOTS]]]]]
 * THREADS workers run at once; each lives OPS_PER_LIFE operations on its own SLOTS slots and is
 * then replaced, until LIVES workers have run (thread churn: caches are set up and torn down
 * LIVES times, and blocks outlive the thread that allocated them). Sizes are mostly 16..256 B,
 * some up to 64 KiB and a few up to 1 MiB. Every block carries the pattern of stress_pattern.h,
 * checked before every free and after every realloc (the kept prefix); calloc memory is checked
 * zero, aligned allocations checked aligned, usable sizes checked >= the request. A quarter of
 * the blocks leave their thread through a mutex-protected ring and are freed by another worker
 * (remote frees), or by main after every worker has exited (frees into orphaned memory).
 * At the end the hak flavour also checks HAKMEM's own counters: zero live bytes, allocs ==
 * frees. Exits 0 with one summary line on stdout; any mismatch aborts with the block and offset. */
#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "stress_alloc.h"
#include "stress_pattern.h"

namespace stress {
namespace {

constexpr const char* kUsage = "[SEED [THREADS [LIVES [OPS_PER_LIFE [SLOTS]]]]]";
constexpr size_t kMaxLarge = size_t{1} << 20;
constexpr size_t kRingCapacity = 8192;

// Cross-thread handoff. A lock is fine here: the allocator, not this queue, is under test,
// and a simple queue cannot itself be the source of a lost or duplicated block.
class RemoteRing {
 public:
  bool push(const Block& b) {
    std::lock_guard<std::mutex> g(mu_);
    if (count_ == kRingCapacity) return false;
    ring_[(head_ + count_) % kRingCapacity] = b;
    count_++;
    return true;
  }
  size_t pop(Block* out, size_t max) {
    std::lock_guard<std::mutex> g(mu_);
    size_t n = 0;
    for (; n < max && count_ > 0; n++, count_--) {
      out[n] = ring_[head_];
      head_ = (head_ + 1) % kRingCapacity;
    }
    return n;
  }

 private:
  std::mutex mu_;
  Block ring_[kRingCapacity];
  size_t head_ = 0, count_ = 0;
};

struct Counts {
  // created counts blocks that did not exist before (realloc of a live block is not one);
  // at the end created == frees, or this program itself lost a block.
  uint64_t created = 0, mallocs = 0, callocs = 0, memaligns = 0, reallocs = 0, frees = 0,
           remote_frees = 0, large = 0;
  void add(const Counts& o) {
    created += o.created, mallocs += o.mallocs, callocs += o.callocs, memaligns += o.memaligns;
    reallocs += o.reallocs, frees += o.frees, remote_frees += o.remote_frees, large += o.large;
  }
};

RemoteRing g_ring;
std::mutex g_totals_mu;
Counts g_totals;

size_t pick_size(Rng& r) {
  unsigned c = static_cast<unsigned>(r.next() % 1000);
  if (c < 10) return r.range(1, 15);  // below the smallest class: must still work
  if (c < 700) return r.range(16, 256);
  if (c < 850) return r.range(257, 4096);
  if (c < 985) return r.range(4097, 65536);
  return r.range(65537, kMaxLarge);
}

void check_new(const Block& b, size_t align, const char* what) {
  if (b.p == nullptr) fail(what);  // every size here is small enough to always succeed
  if (reinterpret_cast<uintptr_t>(b.p) % align != 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s returned %p, not %zu-aligned (size %zu)", what, b.p, align, b.n);
    fail(msg);
  }
  if (alloc_usable_size(b.p) < b.n) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s: usable size %zu < requested %zu for %p", what,
             alloc_usable_size(b.p), b.n, b.p);
    fail(msg);
  }
  if (!alloc_owned(b.p)) fail("allocator does not own a block it returned");
}

void check_and_free(const Block& b, Counts& c, const char* what) {
  block_check(b, what);
  alloc_free(b.p);
  c.frees++;
}

// Fills an empty slot by one of the allocation entry points.
void allocate(Rng& r, Block& b, Counts& c) {
  b.n = pick_size(r);
  b.tag = r.next();
  if (b.n > 65536) c.large++;
  unsigned kind = static_cast<unsigned>(r.next() % 100);
  if (kind < 78) {
    b.p = alloc_malloc(b.n);
    check_new(b, 16, "malloc");
    c.mallocs++;
  } else if (kind < 88) {
    size_t elem = size_t{1} << r.range(0, 4);
    size_t count = (b.n + elem - 1) / elem;
    b.n = count * elem;
    b.p = alloc_calloc(count, elem);
    check_new(b, 16, "calloc");
    check_zero(b.p, b.n, "calloc memory not zero");
    c.callocs++;
  } else if (kind < 96) {
    size_t align = r.percent(3) ? 65536 : size_t{1} << r.range(3, 12);
    if (alloc_posix_memalign(&b.p, align, b.n) != 0) b.p = nullptr;
    check_new(b, align, "posix_memalign");
    c.memaligns++;
  } else if (kind < 98) {
    size_t align = size_t{1} << r.range(4, 12);
    b.n = (b.n + align - 1) / align * align;  // C11 wants a multiple of the alignment
    b.p = alloc_aligned_alloc(align, b.n);
    check_new(b, align, "aligned_alloc");
    c.memaligns++;
  } else {
    b.p = alloc_realloc(nullptr, b.n);
    check_new(b, 16, "realloc(NULL)");
    c.reallocs++;
  }
  block_fill(b);
  c.created++;
}

void reallocate(Rng& r, Block& b, Counts& c) {
  size_t n;
  unsigned kind = static_cast<unsigned>(r.next() % 4);
  if (kind < 2) n = pick_size(r);
  else if (kind == 2) n = b.n * 2 + r.range(0, 63);
  else n = b.n / 2 + 1;
  if (n > kMaxLarge) n = kMaxLarge;
  uintptr_t old_at = reinterpret_cast<uintptr_t>(b.p);
  size_t kept = n < b.n ? n : b.n;
  Block nb{alloc_realloc(b.p, n), n, r.next()};
  check_new(nb, 16, "realloc");
  pattern_check_as(nb.p, old_at, kept, b.tag, "realloc lost content");
  block_fill(nb);
  b = nb;
  c.reallocs++;
}

void drain_ring(Counts& c, size_t max) {
  Block got[16];
  size_t n = g_ring.pop(got, max < 16 ? max : 16);
  for (size_t i = 0; i < n; i++) {
    check_and_free(got[i], c, "remote free");
    c.remote_frees++;
  }
}

void worker(uint64_t seed, uint64_t life, uint64_t ops, size_t nslots) {
  Rng r(seed, life);
  Counts c;
  std::vector<Block> slots(nslots);
  for (uint64_t op = 0; op < ops; op++) {
    if (r.percent(8)) drain_ring(c, 8);
    if (r.next() % 500 == 0) {
      // malloc(0) may return NULL or a unique pointer; either must be freeable.
      alloc_free(alloc_malloc(0));
      continue;
    }
    Block& b = slots[r.next() % nslots];
    if (b.p == nullptr) {
      allocate(r, b, c);
      continue;
    }
    unsigned kind = static_cast<unsigned>(r.next() % 100);
    if (kind < 50) {
      check_and_free(b, c, "local free");
      b = Block{};
    } else if (kind < 70) {
      reallocate(r, b, c);
    } else if (kind < 95) {
      if (!g_ring.push(b)) check_and_free(b, c, "local free (ring full)");
      b = Block{};
    } else {
      block_check(b, "live block");
    }
  }
  // Half of what is still live outlives this thread: freed by others after it exited.
  for (Block& b : slots) {
    if (b.p == nullptr) continue;
    if (!(r.percent(50) && g_ring.push(b))) check_and_free(b, c, "exit free");
  }
  std::lock_guard<std::mutex> g(g_totals_mu);
  g_totals.add(c);
}

int run(int argc, char** argv) {
  uint64_t seed = arg_u64(argc, argv, 1, 1, kUsage);
  uint64_t threads = arg_u64(argc, argv, 2, 4, kUsage);
  uint64_t lives = arg_u64(argc, argv, 3, 32, kUsage);
  uint64_t ops = arg_u64(argc, argv, 4, 3000, kUsage);
  uint64_t nslots = arg_u64(argc, argv, 5, 256, kUsage);
  if (threads == 0 || nslots == 0) fail("THREADS and SLOTS must be positive");
  if (lives < threads) lives = threads;

  auto t0 = std::chrono::steady_clock::now();
  // Replace the oldest worker as soon as it is done, so lives start and end continuously.
  std::deque<std::thread> running;
  uint64_t started = 0;
  for (; started < threads; started++) running.emplace_back(worker, seed, started, ops, nslots);
  while (!running.empty()) {
    running.front().join();
    running.pop_front();
    if (started < lives) running.emplace_back(worker, seed, started++, ops, nslots);
  }
  Counts c;
  for (;;) {
    uint64_t before = c.frees;
    drain_ring(c, 16);
    if (c.frees == before) break;
  }
  g_totals.add(c);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const Counts& t = g_totals;
  if (t.created != t.frees) fail("blocks created != blocks freed: the test lost a block");
  char buf[256];
  if (const char* err = alloc_all_freed_error(t.created, buf, sizeof buf)) fail(err);
  uint64_t allocs = t.mallocs + t.callocs + t.memaligns + t.reallocs;
  printf("stress_mt[%s] ok: seed=%llu threads=%llu lives=%llu ops=%llu blocks=%llu allocs=%llu "
         "frees=%llu remote_frees=%llu reallocs=%llu callocs=%llu memaligns=%llu large=%llu ms=%.0f\n",
         alloc_flavour(), (unsigned long long)seed, (unsigned long long)threads,
         (unsigned long long)lives, (unsigned long long)(lives * ops), (unsigned long long)t.created,
         (unsigned long long)allocs,
         (unsigned long long)t.frees, (unsigned long long)t.remote_frees,
         (unsigned long long)t.reallocs, (unsigned long long)t.callocs,
         (unsigned long long)t.memaligns, (unsigned long long)t.large, ms);
  return 0;
}

}  // namespace
}  // namespace stress

int main(int argc, char** argv) { return stress::run(argc, argv); }
