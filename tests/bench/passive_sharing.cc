/* passive_sharing: passive false sharing with tiny objects and long write loops, after the
 * shape of Hoard's cache-scratch run with one-byte objects.
 *
 * usage: passive_sharing THREADS [SECONDS=1.5]
 * Main mallocs THREADS one-byte objects back to back (so they share a cache line under most
 * allocators) and hands object t to thread t, which frees it. Then each thread repeats:
 * malloc 1 byte, write it 20,000 times, free it. Here the allocator's own work is negligible:
 * what counts is whether the block a thread gets back shares a line with a block another
 * thread is writing, which costs a cache-line transfer per write. An allocator that hands the
 * freed foreign object to the thread that freed it loses; one that serves each thread from
 * its own lines does not. An operation is one malloc, its writes, and one free. */
#include "bench_common.h"

namespace {

constexpr size_t kSize = 1;
constexpr int kWrites = 20000;

uint64_t scratch(char* handed, const bench::Control& ctl) {
  free(handed);
  uint64_t ops = 0;
  while (!ctl.stop()) {
    volatile char* p = static_cast<volatile char*>(bench::check(malloc(kSize), kSize));
    for (int w = 0; w < kWrites; w++) p[0] = static_cast<char>(p[0] + 1);
    free(const_cast<char*>(p));
    ops++;
  }
  return ops;
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args args;
  if (!bench::parse_args(argc, argv, &args)) return 2;
  std::vector<char*> handed(static_cast<size_t>(args.threads));
  for (auto& p : handed) p = static_cast<char*>(bench::check(malloc(kSize), kSize));
  bench::run_timed(args.threads, args.seconds, [&handed](int t, const bench::Control& ctl) {
    return scratch(handed[static_cast<size_t>(t)], ctl);
  });
  return 0;
}
