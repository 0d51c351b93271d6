// The cross-check: per process and syscall, what the kernel saw (the probes) against what
// the allocator says it did (its segment's os_calls/os_bytes). What the kernel saw that the
// allocator did not make is exported as unattributed: the loader, libc, glibc's thread
// stacks, a JIT, another pool in the same process.
//
// Baselines: a process is compared from the first scrape at which the probes already count
// it (in the filter map, or mode all). There the kernel's counts are read first, then the
// allocator's, and both are kept; later values are compared as changes since:
//   unattributed = (kernel_now - kernel_base) - (allocator_now - allocator_base).
// Reading the kernel before the allocator, at the base and at every scrape, errs one way
// only: the allocator counts a call before making it and the kernel when it returns, so a
// call in flight can make the allocator look ahead now (the difference is then too small,
// and the exported value, a running maximum, ignores it) or be in the allocator's base and
// not the kernel's (the difference too large, by at most the calls in flight when the
// comparison began). So the allocator is never shown making more calls than the kernel saw.
//
// Bytes compare the total asked (every direction): the allocator counts mremap growth only.
// Segments older than ABI minor 2 (no mremap count) are left out, logged once per process.
//
// Thread-safety: update() may run on several scrape threads at once (one mutex).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "bpf_probes.h"
#include "memsys_abi.h"
#include "reader/snapshot.h"

namespace hakmem::daemon {

struct Unattributed {
  int pid = 0;
  std::string comm;
  uint32_t syscall = 0;  // enum hak_bpf_syscall
  uint64_t calls = 0;
  uint64_t bytes = 0;
};

class CrossCheck {
 public:
  // kernel: read before `processes`. counted(pid): the probes count this pid now.
  std::vector<Unattributed> update(const BpfReading& kernel,
                                   const std::vector<reader::Snapshot>& processes,
                                   const std::function<bool(int)>& counted);
  void clear();  // the probes were reloaded: their counts start again

 private:
  using PerSyscall = std::array<uint64_t, HAK_BPF_SYSCALL_COUNT>;
  // Both sides' counts of one process at one scrape.
  struct Sample {
    PerSyscall kernel_calls{}, kernel_bytes{}, alloc_calls{}, alloc_bytes{};
  };
  struct Entry {
    bool old_abi = false;
    Sample base;
    PerSyscall calls{}, bytes{};  // unattributed: running maxima (monotonic)
  };

  std::mutex mu_;
  std::map<std::pair<int, uint64_t>, Entry> entries_;  // (pid, start ticks)
};

}  // namespace hakmem::daemon
