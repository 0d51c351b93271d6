// `hakmemctl stat`'s kernel column: hakmemd's view of one process's memory system calls,
// asked over HTTP from its /metrics (reading the eBPF maps needs root; the daemon has it).
// The response is untrusted input like a segment: bounded in size and time, each line
// parsed strictly, anything else ignored.
#pragma once

#include <array>
#include <string>

#include "memsys_abi.h"

namespace hakmem::ctl {

// Per traced syscall (mmap, munmap, mremap, madvise, brk), from hakmem_bpf_* series of one pid.
struct KernelCounts {
  double calls = 0, bytes = 0;                          // the kernel's, every direction
  double unattributed_calls = 0, unattributed_bytes = 0;  // what the allocator did not make
};

inline constexpr const char* kKernelSyscalls[] = {
#define HAKMEMCTL_X_NAME(id, name) name,
    HAK_BPF_SYSCALLS(HAKMEMCTL_X_NAME)
#undef HAKMEMCTL_X_NAME
};

struct KernelView {
  std::string problem;  // why there is no view ("" when there is one)
  bool traced = false;  // the daemon has series for the pid
  bool compared = false;  // ... and cross-checks it (unattributed series present)
  std::array<KernelCounts, HAK_BPF_SYSCALL_COUNT> by_syscall{};
};

// Asks hakmemd at `address` ("a.b.c.d:port") about `pid`; waits at most timeout_ms overall.
KernelView query_daemon(const std::string& address, int pid, int timeout_ms);

// The part that needs no network, for tests: the view of `pid` in an exposition `text`.
KernelView kernel_view_from_metrics(const std::string& text, int pid);

}  // namespace hakmem::ctl
