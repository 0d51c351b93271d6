/* line_pingpong: how long two cores take to pass one cache line back and forth, the cost
 * behind every cross-thread row of tests/bench/compare.
 *
 * usage: line_pingpong [ROUND_TRIPS=100000]
 * Two threads, pinned to the first two CPUs this process may run on, bounce one atomic word:
 * each waits for the other's store and answers it. Prints `Round trip = N ns` (the median of
 * 5 slices). This 2-core virtual machine shows two modes that change from minute to minute,
 * about 90 ns and about 460 ns: the same allocator runs a cross-thread workload 1.5 to 3 times
 * slower in the second, so compare runs this before each round of interleaved runs and
 * reports the modes it met. No allocator is involved (run it without LD_PRELOAD). With fewer
 * than two CPUs it says so on stderr and exits 1. */
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace {

constexpr int kSlices = 5;

alignas(64) std::atomic<long> g_ball{0};

bool pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

// The first two CPUs of the process's affinity mask, or false.
bool two_cpus(int* a, int* b) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return false;
  int found = 0;
  for (int c = 0; c < CPU_SETSIZE && found < 2; ++c) {
    if (CPU_ISSET(c, &set)) (found++ == 0 ? *a : *b) = c;
  }
  return found == 2;
}

}  // namespace

int main(int argc, char** argv) {
  long trips = argc > 1 ? strtol(argv[1], nullptr, 10) : 100000;
  if (trips < kSlices || argc > 2) {
    fprintf(stderr, "usage: %s [ROUND_TRIPS >= %d]\n", argv[0], kSlices);
    return 2;
  }
  int cpu0 = 0, cpu1 = 0;
  if (!two_cpus(&cpu0, &cpu1)) {
    fprintf(stderr, "line_pingpong: fewer than two CPUs to run on\n");
    return 1;
  }
  const long per_slice = trips / kSlices, total = per_slice * kSlices;
  // The answering side: turns every odd value into the next even one.
  std::thread other([&] {
    pin(cpu1);
    for (long i = 0; i < total; ++i) {
      while (g_ball.load(std::memory_order_acquire) != 2 * i + 1) {
      }
      g_ball.store(2 * i + 2, std::memory_order_release);
    }
  });
  if (!pin(cpu0)) {
    fprintf(stderr, "line_pingpong: cannot pin to CPU %d\n", cpu0);
    other.detach();
    return 1;
  }
  double ns[kSlices];
  long i = 0;
  for (int s = 0; s < kSlices; ++s) {
    auto start = std::chrono::steady_clock::now();
    for (long end = i + per_slice; i < end; ++i) {
      g_ball.store(2 * i + 1, std::memory_order_release);
      while (g_ball.load(std::memory_order_acquire) != 2 * i + 2) {
      }
    }
    ns[s] = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
            static_cast<double>(per_slice);
  }
  other.join();
  std::sort(ns, ns + kSlices);
  printf("Round trip = %.0f ns\n", ns[kSlices / 2]);
  return 0;
}
