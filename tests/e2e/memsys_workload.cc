// The eBPF tests' child: between two pauses it makes an exact, known set of memory system
// calls with known lengths and advices, and one call of each kind that fails with a known
// errno, so that the kernel's count (hakmem_bpf_*) can be compared with what was done.
// Not preloaded: every call here is a raw system call (glibc's sbrk caches the break).
//
// Protocol (stdin/stdout lines): prints "ready"; on a line, makes the calls (see bpf_test.py
// for the expected counts) and prints "done"; on a second line or EOF, exits.
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

const long kPage = sysconf(_SC_PAGESIZE);
constexpr long kBrkStep = 64 * 1024;

void wait_line() {
  int c;
  while ((c = getchar()) != EOF && c != '\n') {
  }
}

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

void* sys_mmap(void* addr, long len, int prot, int flags, int fd) {
  return reinterpret_cast<void*>(syscall(SYS_mmap, addr, len, prot, flags, fd, 0));
}

void expect_failure(long ret, int err, const char* what) {
  if (ret != -1 || errno != err) {
    std::fprintf(stderr, "%s: expected errno %d, got ret %ld errno %d\n", what, err, ret, errno);
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 0;
  if (n <= 0 || n > 10000) {
    std::fprintf(stderr, "usage: memsys_workload N (1..10000)\n");
    return 2;
  }
  std::vector<void*> maps(n);  // allocated before the pause: no call of ours in the window
  std::printf("ready\n");
  std::fflush(stdout);
  wait_line();

  for (int i = 0; i < n; ++i) {
    maps[i] = sys_mmap(nullptr, 3 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
    if (maps[i] == MAP_FAILED) die("mmap");
  }
  for (int i = 0; i < n; ++i) {
    if (syscall(SYS_madvise, maps[i], kPage, MADV_DONTNEED) != 0) die("madvise dontneed");
    if (syscall(SYS_madvise, maps[i], 2 * kPage, MADV_WILLNEED) != 0) die("madvise willneed");
    // The whole mapping: advice on part of it would split it, and mremap refuses a range
    // that spans two mappings.
    if (syscall(SYS_madvise, maps[i], 3 * kPage, MADV_RANDOM) != 0) die("madvise random");
  }
  for (int i = 0; i < n; ++i) {
    void* grown = reinterpret_cast<void*>(
        syscall(SYS_mremap, maps[i], 3 * kPage, 5 * kPage, MREMAP_MAYMOVE));
    if (grown == MAP_FAILED) die("mremap grow");
    if (reinterpret_cast<void*>(syscall(SYS_mremap, grown, 5 * kPage, 4 * kPage, 0)) == MAP_FAILED)
      die("mremap shrink");
    maps[i] = grown;
  }
  for (int i = 0; i < n; ++i)
    if (syscall(SYS_munmap, maps[i], 4 * kPage) != 0) die("munmap");

  long start = syscall(SYS_brk, 0);  // asks for the break: a call, no bytes
  for (int i = 1; i <= n; ++i)
    if (syscall(SYS_brk, start + i * kBrkStep) != start + i * kBrkStep) die("brk grow");
  for (int i = n - 1; i >= 0; --i)
    if (syscall(SYS_brk, start + i * kBrkStep) != start + i * kBrkStep) die("brk shrink");

  // One failure of each: EBADF, EINVAL x3, and a break below the heap (ENOMEM for glibc).
  expect_failure(reinterpret_cast<long>(sys_mmap(nullptr, kPage, PROT_READ, MAP_PRIVATE, -1)),
                 EBADF, "mmap without a file");
  expect_failure(syscall(SYS_munmap, reinterpret_cast<void*>(1), kPage), EINVAL, "munmap unaligned");
  expect_failure(syscall(SYS_mremap, reinterpret_cast<void*>(1), kPage, 2 * kPage, 0), EINVAL,
                 "mremap unaligned");
  expect_failure(syscall(SYS_madvise, reinterpret_cast<void*>(1), kPage, MADV_DONTNEED), EINVAL,
                 "madvise unaligned");
  if (syscall(SYS_brk, kPage) != start) die("brk below the heap did not return the break");

  std::printf("done\n");
  std::fflush(stdout);
  wait_line();
  return 0;
}
