/* churn: small-object churn, 16-512 B, each thread on its own objects (no cross-thread frees).
 *
 * usage: churn lifo|random THREADS [SECONDS=1.5]
 *   lifo    bursts: malloc 1-64 blocks, then free them newest first (a stack of temporaries)
 *   random  1,024 live blocks per thread; each operation frees a random one and mallocs a
 *           new one into its slot, so frees come in no particular order
 * An operation is one malloc+free pair. Every block's first and last byte are written.
 * With THREADS > 1 the threads run the same loop side by side: it shows whether the thread
 * cache path scales, not cross-thread traffic (that is prodcons). */
#include "bench_common.h"

namespace {

constexpr size_t kMin = 16, kMax = 512;
constexpr size_t kBurst = 64, kSlots = 1024;

uint64_t lifo(int t, const bench::Control& ctl) {
  bench::Rng rng(1000 + static_cast<uint64_t>(t));
  char* stack[kBurst];
  uint64_t ops = 0;
  while (!ctl.stop()) {
    size_t n = 1 + rng.next() % kBurst;
    for (size_t i = 0; i < n; i++) stack[i] = bench::alloc_touch(rng.range(kMin, kMax));
    for (size_t i = n; i-- > 0;) free(stack[i]);
    ops += n;
  }
  return ops;
}

uint64_t random_order(int t, const bench::Control& ctl) {
  bench::Rng rng(2000 + static_cast<uint64_t>(t));
  char** slots = static_cast<char**>(bench::check(malloc(kSlots * sizeof(char*)), kSlots));
  for (size_t i = 0; i < kSlots; i++) slots[i] = bench::alloc_touch(rng.range(kMin, kMax));
  uint64_t ops = 0;
  while (!ctl.stop()) {
    for (int k = 0; k < 64; k++) {
      size_t i = rng.next() % kSlots;
      free(slots[i]);
      slots[i] = bench::alloc_touch(rng.range(kMin, kMax));
    }
    ops += 64;
  }
  for (size_t i = 0; i < kSlots; i++) free(slots[i]);
  free(slots);
  return ops;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: %s lifo|random THREADS [SECONDS]\n", argv[0]);
    return 2;
  }
  bool is_lifo = strcmp(argv[1], "lifo") == 0;
  if (!is_lifo && strcmp(argv[1], "random") != 0) bench::die(argv[0], "mode is lifo or random");
  int threads = static_cast<int>(bench::parse_long(argv[0], argv[2], "THREADS", 1, 1024));
  double seconds = argc > 3 ? bench::parse_seconds(argv[0], argv[3]) : 1.5;
  if (is_lifo)
    bench::run_timed(threads, seconds, lifo);
  else
    bench::run_timed(threads, seconds, random_order);
  return 0;
}
