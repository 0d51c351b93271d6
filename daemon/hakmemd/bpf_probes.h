// The loaded eBPF probes (bpf/memsys.bpf.c through its libbpf skeleton): loading and
// attaching, the tgid filter, reading the counts, and forgetting processes that are gone.
//
// Lifetime: load() attaches everything and turns on the kernel's program statistics through
// a file descriptor (BPF_ENABLE_STATS); the destructor closes the links, programs, maps and
// that descriptor, so nothing of ours stays attached or pinned, and a SIGKILLed daemon leaves
// the same state, since the kernel closes the descriptors. Nothing is pinned.
//
// Attached only while there is something to count: while any syscalls tracepoint has a
// program, every thread on the host takes the slow syscall path (README, "What the probes
// cost": +~100 ns on each syscall of every process here). So in mode tracked the programs
// are detached while the segment directory holds no segment at all (no HAKMEM process to
// trace) and attached again when one appears; programs and maps stay loaded, and with them
// the counts. Any segment, not only the exported ones, keeps them attached: a segment that
// is rejected for a moment (being rewritten, say) must not detach and re-attach the probes,
// 20 descriptors each time.
//
// Thread-safety: read(), counts() and attached() may run on any thread, several at once
// (they only read maps through the kernel); set_mode(), track() and sweep() run on the loop
// thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "bpf_status.h"
#include "config.h"
#include "memsys_abi.h"

struct memsys;  // the generated skeleton (memsys.skel.h)

namespace hakmem::daemon {

struct BpfCallCounts {
  int pid = 0;
  uint64_t start_ns = 0;  // the process's identity with pid (memsys_abi.h)
  uint32_t syscall = 0;   // enum hak_bpf_syscall
  hak_bpf_counts counts{};
};

struct BpfErrorCount {
  int pid = 0;
  uint64_t start_ns = 0;
  uint32_t syscall = 0;
  uint32_t error = 0;  // errno
  uint64_t count = 0;
};

struct BpfProgramStats {
  std::string name;
  uint64_t run_ns = 0;
  uint64_t runs = 0;
};

// The `syscall` label of each enum hak_bpf_syscall.
inline constexpr const char* kBpfSyscallNames[HAK_BPF_SYSCALL_COUNT] = {
#define HAKMEMD_X_NAME(id, name) name,
    HAK_BPF_SYSCALLS(HAKMEMD_X_NAME)
#undef HAKMEMD_X_NAME
};

// Maps that can be full, in hakmemd_bpf_map_full_total{map}: the kernel side's three
// (enum hak_bpf_map_full) and the filter, which hakmemd fills.
inline constexpr const char* kBpfFullMapNames[] = {"inflight", "counts", "errors", "tracked"};
inline constexpr size_t kBpfFullTracked = HAK_BPF_FULL_COUNT;

struct BpfReading {
  std::vector<BpfCallCounts> counts;
  std::vector<BpfErrorCount> errors;
  std::array<uint64_t, HAK_BPF_FULL_COUNT + 1> full{};
  std::vector<BpfProgramStats> programs;
  bool program_stats = false;  // false when BPF_ENABLE_STATS was refused
  bool attached = false;       // the programs are attached now (see BpfProbes)
};

class BpfProbes {
 public:
  // Preflight, load, attach. nullptr with *status (reason and log line) on any failure.
  static std::unique_ptr<BpfProbes> load(BpfMode mode, BpfStatus* status);
  ~BpfProbes();
  BpfProbes(const BpfProbes&) = delete;
  BpfProbes& operator=(const BpfProbes&) = delete;

  // tracked <-> all without reloading: the maps, and so the counts, stay.
  void set_mode(BpfMode mode);
  // Makes the filter exactly `pids` (the processes whose segments hakmemd exports);
  // any_segment: the directory holds a segment of any state (see above).
  void track(const std::set<int>& pids, bool any_segment);
  // Whether the probes count `pid` now (mode all, or in the filter map, attached). Any thread.
  bool counts(int pid) const;
  bool attached() const { return attached_.load(std::memory_order_relaxed); }
  // Removes the counts of processes that are gone (or whose pid now names another process);
  // in-flight records go with their threads (task storage). Returns how many it forgot.
  size_t sweep();

  BpfReading read() const;

 private:
  BpfProbes(memsys* skeleton, int stats_fd);
  // Attaches (or detaches) the programs as the mode and the filter need; loop thread.
  void attach_as_needed();
  void sync_filter(const std::set<int>& pids);
  bool all() const;  // mode all: the programs' own trace_all, the one record of the mode

  memsys* skel_;
  int stats_fd_;
  mutable std::mutex tracked_mu_;  // tracked_ is read by scrapes (counts())
  std::set<int> tracked_;
  std::atomic<uint64_t> tracked_full_{0};
  std::atomic<bool> attached_{true};  // load() attaches
  bool any_segment_ = true;           // until the first track()
  bool attach_warned_ = false;
};

// A process start time as the probes record it (ns since boot) in /proc/<pid>/stat's unit
// (clock ticks), the unit segments record it in.
uint64_t bpf_start_ticks(uint64_t start_ns);
// True when /proc/<pid>/stat says the process started at `start_ns` (memsys_abi.h's
// identity): the same process, not a later one with a reused pid.
bool bpf_process_is(int pid, uint64_t start_ns);

}  // namespace hakmem::daemon
