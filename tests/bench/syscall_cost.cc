// The probes' cost benchmark's loop (bpf_cost.py): times N iterations of one system call
// pattern and prints "<pattern> <ns per iteration>". Raw system calls, no allocation in the
// loop, so nothing but the kernel's path is measured.
//   mmap    mmap + munmap of one page (two traced calls per iteration)
//   getpid  getpid (not traced; pays only the slow syscall entry while probes are attached)
//   read    read of one byte from /dev/zero (likewise)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  if (argc != 3 || std::atol(argv[2]) <= 0) {
    std::fprintf(stderr, "usage: syscall_cost mmap|getpid|read N\n");
    return 2;
  }
  const char* what = argv[1];
  long n = std::atol(argv[2]);
  int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
  char byte;
  auto start = std::chrono::steady_clock::now();
  if (std::strcmp(what, "mmap") == 0) {
    for (long i = 0; i < n; ++i) {
      long p = syscall(SYS_mmap, nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == -1 || syscall(SYS_munmap, p, 4096) != 0) return 1;
    }
  } else if (std::strcmp(what, "getpid") == 0) {
    for (long i = 0; i < n; ++i) syscall(SYS_getpid);
  } else if (std::strcmp(what, "read") == 0) {
    for (long i = 0; i < n; ++i)
      if (read(zero, &byte, 1) != 1) return 1;
  } else {
    std::fprintf(stderr, "syscall_cost: unknown pattern %s\n", what);
    return 2;
  }
  double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s %.1f\n", what, ns / static_cast<double>(n));
  return 0;
}
