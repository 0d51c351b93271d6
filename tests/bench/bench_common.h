/* bench_common.h: what every workload in tests/bench shares (not larson.cc, which predates it).
 *
 * A workload is a plain malloc/free program, measured by running it under LD_PRELOAD of each
 * allocator (tests/bench/compare). Most run for a fixed wall time rather than a fixed amount
 * of work, so a slow allocator does not stretch the runner: THREADS workers start together,
 * run until main raises the stop flag SECONDS later, and each counts its operations. The last
 * stdout line is always `Throughput = N operations per second` (operations over the wall time
 * from the start signal to the last worker joining).
 *
 * An operation is one malloc+free pair, or one realloc, as each workload's header says. Sizes
 * and choices come from xorshift generators seeded per thread, so the sequence of requests is
 * the same under every allocator; only how far it gets in SECONDS varies.
 *
 * Header-only on purpose: every workload is one .cc file plus this. */
#ifndef HAKMEM_TESTS_BENCH_COMMON_H
#define HAKMEM_TESTS_BENCH_COMMON_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

namespace bench {

inline double now_seconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// xorshift64 seeded through splitmix64, so seeds 1, 2, 3 give unrelated streams.
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) {
    uint64_t z = seed + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    s = z ? z : 1;
  }
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  // Uniform in [lo, hi].
  size_t range(size_t lo, size_t hi) { return lo + next() % (hi - lo + 1); }
  // Log-uniform in [lo, hi): as many requests in 64..128 as in 1 Mi..2 Mi.
  size_t log_range(size_t lo, size_t hi) {
    double u = static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0);
    double v = static_cast<double>(lo) * pow(static_cast<double>(hi) / static_cast<double>(lo), u);
    size_t n = static_cast<size_t>(v);
    return n < lo ? lo : (n >= hi ? hi - 1 : n);
  }
};

[[noreturn]] inline void die(const char* prog, const char* what) {
  fprintf(stderr, "%s: %s\n", prog, what);
  exit(2);
}

inline void* check(void* p, size_t n) {
  if (p == nullptr) {
    fprintf(stderr, "bench: allocation of %zu bytes failed\n", n);
    abort();
  }
  return p;
}

// malloc that never returns null and writes the first and last byte, as a program would.
inline char* alloc_touch(size_t n) {
  char* p = static_cast<char*>(check(malloc(n), n));
  p[0] = static_cast<char>(n);
  p[n - 1] = static_cast<char>(n >> 8);
  return p;
}

// alloc_touch, and a byte written in every further 4 KiB page: a buffer filled once.
inline char* alloc_touch_pages(size_t n) {
  char* p = alloc_touch(n);
  for (size_t off = 4096; off < n; off += 4096) p[off] = 1;
  return p;
}

inline long parse_long(const char* prog, const char* s, const char* what, long lo, long hi) {
  char* end = nullptr;
  long v = strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < lo || v > hi) {
    fprintf(stderr, "%s: bad %s '%s' (want %ld..%ld)\n", prog, what, s, lo, hi);
    exit(2);
  }
  return v;
}

inline double parse_seconds(const char* prog, const char* s) {
  char* end = nullptr;
  double v = strtod(s, &end);
  if (end == s || *end != '\0' || !(v > 0.0) || v > 3600.0) die(prog, "bad SECONDS");
  return v;
}

inline void print_throughput(double ops, double elapsed) {
  printf("Throughput = %llu operations per second\n",
         static_cast<unsigned long long>(ops / (elapsed > 0 ? elapsed : 1e-9)));
}

// Shared by the workers of one run_timed(). Workers poll stop() every few dozen operations:
// one relaxed load on a line nobody writes until the end.
struct alignas(64) Control {
  std::atomic<bool> go{false};
  std::atomic<bool> stop_flag{false};
  bool stop() const { return stop_flag.load(std::memory_order_relaxed); }
};

struct alignas(64) Count {
  uint64_t ops = 0;
};

// Runs body(thread_index, control) -> operations on `threads` threads for `seconds` of wall
// time and prints the throughput line. Threads are created first and released together, so
// thread creation is not timed (thread churn workloads time it on purpose, by themselves).
template <typename Body>
void run_timed(int threads, double seconds, Body body) {
  Control ctl;
  std::vector<Count> counts(static_cast<size_t>(threads));
  std::vector<std::thread> pool;
  std::atomic<int> ready{0};
  for (int t = 0; t < threads; t++) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!ctl.go.load(std::memory_order_acquire)) std::this_thread::yield();
      counts[static_cast<size_t>(t)].ops = body(t, ctl);
    });
  }
  while (ready.load() < threads) std::this_thread::yield();
  double start = now_seconds();
  ctl.go.store(true, std::memory_order_release);
  usleep(static_cast<useconds_t>(seconds * 1e6));
  ctl.stop_flag.store(true);
  for (auto& th : pool) th.join();
  double elapsed = now_seconds() - start;
  uint64_t total = 0;
  for (auto& c : counts) total += c.ops;
  print_throughput(static_cast<double>(total), elapsed);
}

// The arguments of the timed workloads: `PROG THREADS [SECONDS=1.5]`. False after a usage line.
struct Args {
  int threads;
  double seconds;
};
inline bool parse_args(int argc, char** argv, Args* a) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: %s THREADS [SECONDS]\n", argv[0]);
    return false;
  }
  a->threads = static_cast<int>(parse_long(argv[0], argv[1], "THREADS", 1, 1024));
  a->seconds = argc > 2 ? parse_seconds(argv[0], argv[2]) : 1.5;
  return true;
}

// main() of a timed workload without set-up of its own.
template <typename Body>
int timed_main(int argc, char** argv, Body body) {
  Args a;
  if (!parse_args(argc, argv, &a)) return 2;
  run_timed(a.threads, a.seconds, body);
  return 0;
}

}  // namespace bench

#endif  // HAKMEM_TESTS_BENCH_COMMON_H
