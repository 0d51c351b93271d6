// The cross-check test's child, preloaded with libhakmem: between two pauses the allocator
// maps, unmaps and discards memory of its own (large blocks, then malloc_trim), and one
// thread starts and exits, whose stack glibc maps: a call the kernel sees and the allocator
// did not make.
//
// Protocol (stdin/stdout lines): "ready"; on a line, does the work and prints "done"; on a
// second line or EOF, exits.
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace {

void wait_line() {
  int c;
  while ((c = getchar()) != EOF && c != '\n') {
  }
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 0;
  if (n <= 0 || n > 1000) {
    std::fprintf(stderr, "usage: crosscheck_workload N (1..1000)\n");
    return 2;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  wait_line();

  for (int i = 0; i < n; ++i) {
    // Sizes beyond the arenas' runs: page spans mapped and unmapped by the allocator.
    size_t bytes = (size_t{8} << 20) + static_cast<size_t>(i) * 4096;
    auto* p = static_cast<char*>(std::malloc(bytes));
    if (!p) return 1;
    std::memset(p, i, 4096);
    std::free(p);
  }
  for (int i = 0; i < n; ++i) {
    auto* p = static_cast<char*>(std::malloc(size_t{300} << 10));  // arena runs
    if (!p) return 1;
    std::memset(p, i, size_t{300} << 10);
    std::free(p);
  }
  malloc_trim(0);  // the cached spans and free arena pages go back: munmap, madvise
  std::thread t([] { std::free(std::malloc(64)); });
  t.join();

  std::printf("done\n");
  std::fflush(stdout);
  wait_line();
  return 0;
}
