/* large: blocks of 64 KiB to 4 MiB, the sizes most allocators hand to mmap or a page heap.
 *
 * usage: large THREADS [SECONDS=1.5]
 * Each thread keeps 16 live blocks (about 15 MiB: sizes are log-uniform in [64 KiB, 4 MiB)).
 * Each operation frees a random one and mallocs a new one in its place, then writes one byte
 * in every 4 KiB page of it, as a program filling a buffer would. So what dominates is whether
 * the allocator reuses memory it already has (writes only) or returns it and maps it afresh
 * (a page fault and a zeroed page per 4 KiB): speed against peak RSS.
 * An operation is one malloc+free pair and its page writes. */
#include "bench_common.h"

namespace {

constexpr size_t kSlots = 16;
constexpr size_t kMin = 64 * 1024, kMax = 4 * 1024 * 1024;

char* alloc_fill(bench::Rng& rng) { return bench::alloc_touch_pages(rng.log_range(kMin, kMax)); }

uint64_t churn_large(int t, const bench::Control& ctl) {
  bench::Rng rng(7000 + static_cast<uint64_t>(t));
  char* slots[kSlots];
  for (auto& p : slots) p = alloc_fill(rng);
  uint64_t ops = 0;
  while (!ctl.stop()) {
    size_t i = rng.next() % kSlots;
    free(slots[i]);
    slots[i] = alloc_fill(rng);
    ops++;
  }
  for (auto& p : slots) free(p);
  return ops;
}

}  // namespace

int main(int argc, char** argv) { return bench::timed_main(argc, argv, churn_large); }
