/* working_set: a working set of random sizes, mostly small with a tail of large ones, each
 * block replaced at random.
 *
 * usage: working_set THREADS [SECONDS=1.5]
 * Each thread keeps 16,384 live blocks. Sizes are log-uniform within three bands: 90 % in
 * 8 B-512 B, 9 % in 512 B-8 KiB, 1 % in 8 KiB-256 KiB, so a few large blocks hold much of the
 * memory, as in a cache of parsed objects. Each step frees a random slot and mallocs a new
 * block for it, writing its first and last byte. An operation is one malloc+free pair. */
#include "bench_common.h"

namespace {

constexpr size_t kSlots = 16384;

size_t pick_size(bench::Rng& rng) {
  uint64_t band = rng.next() % 100;
  if (band < 90) return rng.log_range(8, 512);
  if (band < 99) return rng.log_range(512, 8 << 10);
  return rng.log_range(8 << 10, 256 << 10);
}

uint64_t replace(int t, const bench::Control& ctl) {
  bench::Rng rng(5300 + static_cast<uint64_t>(t));
  std::vector<char*> slots(kSlots);
  for (char*& p : slots) p = bench::alloc_touch(pick_size(rng));
  uint64_t ops = 0;
  while (!ctl.stop()) {
    for (int k = 0; k < 64; k++) {
      char*& p = slots[rng.next() % kSlots];
      free(p);
      p = bench::alloc_touch(pick_size(rng));
    }
    ops += 64;
  }
  for (char* p : slots) free(p);
  return ops;
}

}  // namespace

int main(int argc, char** argv) { return bench::timed_main(argc, argv, replace); }
