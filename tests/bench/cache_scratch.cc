/* cache_scratch: false sharing of cache lines between threads, after Hoard's cache-scratch.
 *
 * usage: cache_scratch THREADS [SECONDS=1.5] [SIZE=8 [WRITES=64]]
 * Main mallocs THREADS SIZE-byte objects back to back (most allocators put them on one cache
 * line) and hands object t to thread t, which frees it first. Then each thread repeats: malloc
 * SIZE bytes, write every byte of it WRITES times, free it. An allocator that gives the freed
 * foreign object (or any object on a line another thread writes) back to the thread makes the
 * threads fight over one line, and the writes, not malloc, dominate: "passive" false sharing.
 * An allocator that serves each thread from its own lines keeps them apart. The suite runs it
 * twice: 8 bytes written 64 times (malloc still counts), and 1 byte written 20,000 times, the
 * shape of Hoard's own run, where only the sharing does.
 * An operation is one malloc, its SIZE * WRITES byte writes, and one free. */
#include "bench_common.h"

namespace {

size_t g_size = 8;
long g_writes = 64;

// kSize and kWrites nonzero: the suite's first shape, as constants the loop unrolls over (the
// row measured since the suite began); zero: the arguments' values.
template <size_t kSize, long kWrites>
uint64_t scratch(char* handed, const bench::Control& ctl) {
  const size_t size = kSize != 0 ? kSize : g_size;
  const long writes = kWrites != 0 ? kWrites : g_writes;
  free(handed);
  uint64_t ops = 0;
  while (!ctl.stop()) {
    for (int k = 0; k < 16; k++) {
      volatile char* p = static_cast<volatile char*>(bench::check(malloc(size), size));
      for (long w = 0; w < writes; w++)
        for (size_t b = 0; b < size; b++) p[b] = static_cast<char>(p[b] + 1);
      free(const_cast<char*>(p));
    }
    ops += 16;
  }
  return ops;
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args args;
  if (!bench::parse_args(argc > 3 ? 3 : argc, argv, &args)) return 2;
  if (argc > 3) g_size = static_cast<size_t>(bench::parse_long(argv[0], argv[3], "SIZE", 1, 4096));
  if (argc > 4) g_writes = bench::parse_long(argv[0], argv[4], "WRITES", 1, 100000000);
  if (argc > 5) bench::die(argv[0], "usage: cache_scratch THREADS [SECONDS] [SIZE [WRITES]]");
  std::vector<char*> handed(static_cast<size_t>(args.threads));
  for (auto& p : handed) p = static_cast<char*>(bench::check(malloc(g_size), g_size));
  bool first_shape = g_size == 8 && g_writes == 64;
  bench::run_timed(args.threads, args.seconds, [&](int t, const bench::Control& ctl) {
    char* mine = handed[static_cast<size_t>(t)];
    return first_shape ? scratch<8, 64>(mine, ctl) : scratch<0, 0>(mine, ctl);
  });
  return 0;
}
