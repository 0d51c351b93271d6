// A preloaded workload for the hakmemd tests and benchmark. It uses `classes` size classes
// (one block each to start, so each class has counts from the first read), prints
// "ready", then either sleeps until killed (`sleep`), keeps allocating and freeing across
// those classes (`churn`), so rates computed over its counters stay positive, or (`cycle`)
// allocates 512 blocks of every class and a large block, frees them all, and every few cycles
// calls malloc_trim and pauses 300 ms: its caches refill and flush, slabs go back to the pool,
// and emptied memory decays back to the OS, so every refill, pool and memory-syscall rate
// moves too. (Without the trim, the thread caches grow to hold the whole batch after a few
// cycles, and the refill rates fall to zero: malloc_trim sets them back to their base.)
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

int main(int argc, char** argv) {
  int classes = argc > 1 ? atoi(argv[1]) : 10;
  bool churn = argc > 2 && strcmp(argv[2], "churn") == 0;
  bool cycle = argc > 2 && strcmp(argv[2], "cycle") == 0;
  if (classes < 1 || classes > 30) return 2;
  // The classes themselves: 16..128 B in 16 B steps, then four per power of two.
  std::vector<size_t> sizes;
  for (size_t s = 16; s <= 128 && sizes.size() < static_cast<size_t>(classes); s += 16)
    sizes.push_back(s);
  for (size_t base = 128; sizes.size() < static_cast<size_t>(classes); base *= 2)
    for (size_t j = 1; j <= 4 && sizes.size() < static_cast<size_t>(classes); ++j)
      sizes.push_back(base + j * base / 4);
  std::vector<void*> keep;
  for (size_t s : sizes) {
    void* p = malloc(s);
    if (p == nullptr) return 2;
    memset(p, 1, 16);
    keep.push_back(p);
  }
  printf("ready\n");
  fflush(stdout);
  if (cycle) {
    std::vector<void*> batch;
    timespec pause_ms{0, 300 * 1000000L};
    for (unsigned long n = 0;; ++n) {
      for (size_t s : sizes)
        for (int i = 0; i < 512; ++i) batch.push_back(malloc(s));
      batch.push_back(malloc(256 * 1024 + (n % 8) * 65536));
      for (void* p : batch) {
        if (p == nullptr) return 2;
        *static_cast<volatile char*>(p) = 1;
      }
      for (void* p : batch) free(p);
      batch.clear();
      if (n % 8 == 7) {
        malloc_trim(0);
        nanosleep(&pause_ms, nullptr);
      }
    }
  }
  if (!churn) {
    for (;;) pause();
  }
  timespec nap{0, 1000000};
  for (unsigned long i = 0;; ++i) {
    void* p = malloc(sizes[i % sizes.size()]);
    if (p == nullptr) return 2;
    *static_cast<volatile char*>(p) = 1;
    free(p);
    if (i % 20000 == 0) nanosleep(&nap, nullptr);
  }
}
