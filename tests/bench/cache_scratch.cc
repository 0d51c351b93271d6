/* cache_scratch: false sharing of cache lines between threads, after Hoard's cache-scratch.
 *
 * usage: cache_scratch THREADS [SECONDS=1.5]
 * Main mallocs THREADS 8-byte objects back to back (most allocators put them on one cache
 * line) and hands object t to thread t, which frees it first. Then each thread repeats: malloc
 * 8 bytes, write every byte of it 64 times, free it. An allocator that gives the freed foreign
 * object (or any object on a line another thread writes) back to the thread makes the threads
 * fight over one line, and the writes, not malloc, dominate: "passive" false sharing. An
 * allocator that serves each thread from its own lines keeps them apart.
 * An operation is one malloc, its 512 byte writes, and one free. */
#include "bench_common.h"

namespace {

constexpr size_t kSize = 8;
constexpr int kWrites = 64;

uint64_t scratch(char* handed, const bench::Control& ctl) {
  free(handed);
  uint64_t ops = 0;
  while (!ctl.stop()) {
    for (int k = 0; k < 16; k++) {
      volatile char* p = static_cast<volatile char*>(bench::check(malloc(kSize), kSize));
      for (int w = 0; w < kWrites; w++)
        for (size_t b = 0; b < kSize; b++) p[b] = static_cast<char>(p[b] + 1);
      free(const_cast<char*>(p));
    }
    ops += 16;
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
