/* fastpath: the harness for counting the instructions of malloc+free on the thread-cache hit
 * path with callgrind (tests/bench/compare --instructions). Not a timing benchmark.
 *
 * usage: fastpath PAIRS
 * Sizes: a fixed table of 1,024 sizes drawn uniformly from 16-512 B. 32 live blocks; pair i
 * frees block i % 32 and mallocs a block of size table[i % 1024] into its place: a churn over
 * ~32 size classes with a block or two live in each, so every class's cache stays warm and,
 * after the warm-up, nearly every call hits the thread cache. churn() runs 100,000 warm-up
 * pairs, then PAIRS measured pairs. It is noipa (never inlined or cloned) and calls malloc and
 * free through the PLT, as any program does, so callgrind charges every instruction from the
 * call instruction to the return (the PLT jump included) to the call, and the loop to churn().
 *
 * The runner runs this under callgrind with PAIRS = N and 2N and takes the difference of the
 * inclusive cost of churn()'s calls, divided by N: start-up, the warm-up, lazy binding and
 * first-touch refills are the same in both runs and cancel.
 *
 * The shape matters for some allocators, measured with this loop (instructions per pair):
 *   live blocks, FIFO     16     32     64    1024   (malloc+free of one block: 1)
 *   glibc               129    129    130    129    129
 *   jemalloc             69     69     69     69     69
 *   tcmalloc             67     67     67     67     67
 *   mimalloc             75     65     54     83    120
 * mimalloc's free goes to a page's local list and its malloc takes the slow generic path
 * whenever the page's own free list runs dry, so its count depends on how many blocks per page
 * cycle between the two. 32 keeps it near the 70 quoted for it in BENCHMARKS.md. Compare
 * allocators only on the same harness, and keep this loop fixed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

namespace {

size_t g_sizes[1024];
constexpr size_t kLive = 32;
void* g_slots[kLive];

__attribute__((noipa)) void churn(uint64_t pairs) {
  for (uint64_t i = 0; i < pairs; i++) {
    size_t j = i % kLive;
    free(g_slots[j]);
    void* p = malloc(g_sizes[i & 1023]);
    *static_cast<volatile char*>(p) = 1;  // a program writes what it allocates
    g_slots[j] = p;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s PAIRS\n", argv[0]);
    return 2;
  }
  uint64_t pairs = strtoull(argv[1], nullptr, 10);
  uint64_t s = 88172645463325252ull;
  for (auto& size : g_sizes) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    size = 16 + s % 497;
  }
  churn(100000);
  churn(pairs);
  for (auto& p : g_slots) {
    free(p);
    p = nullptr;
  }
  printf("fastpath: %llu pairs\n", static_cast<unsigned long long>(pairs));
  return 0;
}
