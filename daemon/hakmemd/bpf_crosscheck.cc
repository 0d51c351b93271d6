// See bpf_crosscheck.h.
#include "bpf_crosscheck.h"

#include <cstring>
#include <string_view>

#include "log.h"
#include "reader/names.h"

namespace hakmem::daemon {

namespace {

// The allocator's OS-call index of each traced syscall, -1 for brk (it never calls it).
std::array<int, HAK_BPF_SYSCALL_COUNT> allocator_index() {
  std::array<int, HAK_BPF_SYSCALL_COUNT> out;
  for (unsigned s = 0; s < HAK_BPF_SYSCALL_COUNT; ++s) {
    out[s] = -1;
    for (size_t i = 0; i < reader::kOsCallNames.size(); ++i)
      if (reader::kOsCallNames[i] == std::string_view(kBpfSyscallNames[s])) out[s] = static_cast<int>(i);
  }
  return out;
}

}  // namespace

std::vector<Unattributed> CrossCheck::update(const BpfReading& kernel,
                                             const std::vector<reader::Snapshot>& processes,
                                             const std::function<bool(int)>& counted) {
  static const std::array<int, HAK_BPF_SYSCALL_COUNT> alloc_of = allocator_index();
  // The kernel's counts by (pid, start ticks): the identity segments record.
  std::map<std::pair<int, uint64_t>, std::pair<PerSyscall, PerSyscall>> seen;
  for (const BpfCallCounts& e : kernel.counts) {
    auto& [calls, bytes] = seen[{e.pid, bpf_start_ticks(e.start_ns)}];
    calls[e.syscall] = e.counts.calls;
    bytes[e.syscall] = e.counts.bytes_grow + e.counts.bytes_shrink + e.counts.bytes_none;
  }

  std::vector<Unattributed> out;
  std::lock_guard lock(mu_);
  std::map<std::pair<int, uint64_t>, Entry> next;
  for (const reader::Snapshot& p : processes) {
    std::pair<int, uint64_t> id{p.pid, p.start_time_ticks};
    auto old = entries_.find(id);
    if (old == entries_.end()) {
      if (!counted(p.pid)) continue;  // not in the filter yet: no base to take
      Entry e;
      e.old_abi = !p.has_mremap;
      if (e.old_abi)
        log_info("pid " + std::to_string(p.pid) + " (" + p.comm + ") writes telemetry ABI " +
                 std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor) +
                 ", which has no mremap count: left out of the kernel cross-check");
      auto k = seen.find(id);
      for (unsigned s = 0; s < HAK_BPF_SYSCALL_COUNT; ++s) {
        if (k != seen.end()) {
          e.kernel_calls[s] = k->second.first[s];
          e.kernel_bytes[s] = k->second.second[s];
        }
        if (alloc_of[s] >= 0) {
          e.alloc_calls[s] = p.process.os_calls[alloc_of[s]];
          e.alloc_bytes[s] = p.process.os_bytes[alloc_of[s]];
        }
      }
      next.emplace(id, e);
      if (!e.old_abi)
        for (unsigned s = 0; s < HAK_BPF_SYSCALL_COUNT; ++s) out.push_back({p.pid, p.comm, s, 0, 0});
      continue;
    }
    Entry& e = next.emplace(id, old->second).first->second;
    if (e.old_abi) continue;
    auto k = seen.find(id);
    for (unsigned s = 0; s < HAK_BPF_SYSCALL_COUNT; ++s) {
      uint64_t kc = k != seen.end() ? k->second.first[s] : 0;
      uint64_t kb = k != seen.end() ? k->second.second[s] : 0;
      uint64_t ac = alloc_of[s] >= 0 ? p.process.os_calls[alloc_of[s]] : 0;
      uint64_t ab = alloc_of[s] >= 0 ? p.process.os_bytes[alloc_of[s]] : 0;
      // Changes since the base; a count below its base (an entry the kernel side lost and
      // began again) compares as 0 rather than wrap.
      uint64_t dkc = kc >= e.kernel_calls[s] ? kc - e.kernel_calls[s] : 0;
      uint64_t dkb = kb >= e.kernel_bytes[s] ? kb - e.kernel_bytes[s] : 0;
      uint64_t dac = ac >= e.alloc_calls[s] ? ac - e.alloc_calls[s] : 0;
      uint64_t dab = ab >= e.alloc_bytes[s] ? ab - e.alloc_bytes[s] : 0;
      if (dkc > dac && dkc - dac > e.calls[s]) e.calls[s] = dkc - dac;
      if (dkb > dab && dkb - dab > e.bytes[s]) e.bytes[s] = dkb - dab;
      out.push_back({p.pid, p.comm, s, e.calls[s], e.bytes[s]});
    }
  }
  entries_.swap(next);  // processes no longer exported are forgotten
  return out;
}

void CrossCheck::clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

}  // namespace hakmem::daemon
