/* huge_blocks: one thread keeps up to 20 blocks of 5 to 25 MiB live and replaces them in a loop.
 *
 * usage: huge_blocks THREADS [SECONDS=1.5]
 * Each thread holds 20 slots, each empty or one block of a size uniform in [5 MiB, 25 MiB].
 * Each operation picks a slot: a full one is freed (and, one time in two, refilled at once),
 * an empty one gets a new block, whose every 4 KiB page is written once, as a program reading a
 * file or an image into a buffer would. Blocks this big are above an arena's runs in most
 * allocators: what dominates is whether freed ones are kept mapped and reused (writes only)
 * or unmapped and mapped afresh (page faults and zeroed pages on every reuse).
 * An operation is one malloc or free and its page writes. */
#include "bench_common.h"

namespace {

constexpr size_t kSlots = 20;
constexpr size_t kMin = 5u << 20, kMax = 25u << 20;

char* alloc_fill(bench::Rng& rng) { return bench::alloc_touch_pages(rng.range(kMin, kMax)); }

uint64_t churn_huge(int t, const bench::Control& ctl) {
  bench::Rng rng(9100 + static_cast<uint64_t>(t));
  char* slots[kSlots] = {};
  uint64_t ops = 0;
  while (!ctl.stop()) {
    size_t i = rng.next() % kSlots;
    if (slots[i] != nullptr) {
      free(slots[i]);
      slots[i] = nullptr;
      ops++;
      if ((rng.next() & 1) == 0) continue;
    }
    slots[i] = alloc_fill(rng);
    ops++;
  }
  for (char* p : slots) free(p);
  return ops;
}

}  // namespace

int main(int argc, char** argv) { return bench::timed_main(argc, argv, churn_huge); }
