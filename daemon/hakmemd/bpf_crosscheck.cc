// See bpf_crosscheck.h.
#include "bpf_crosscheck.h"

#include <algorithm>
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
  std::map<std::pair<int, uint64_t>, Sample> seen;
  for (const BpfCallCounts& e : kernel.counts) {
    Sample& k = seen[{e.pid, bpf_start_ticks(e.start_ns)}];
    k.kernel_calls[e.syscall] = e.counts.calls;
    k.kernel_bytes[e.syscall] = e.counts.bytes_grow + e.counts.bytes_shrink + e.counts.bytes_none;
  }
  // A count below its base (an entry the kernel side lost and began again) compares as 0.
  auto since = [](uint64_t now, uint64_t base) { return now >= base ? now - base : 0; };

  std::vector<Unattributed> out;
  std::lock_guard lock(mu_);
  std::map<std::pair<int, uint64_t>, Entry> next;
  for (const reader::Snapshot& p : processes) {
    std::pair<int, uint64_t> id{p.pid, p.start_time_ticks};
    auto k = seen.find(id);
    Sample now = k != seen.end() ? k->second : Sample{};
    for (unsigned s = 0; s < HAK_BPF_SYSCALL_COUNT; ++s) {
      if (alloc_of[s] < 0) continue;
      now.alloc_calls[s] = p.process.os_calls[alloc_of[s]];
      now.alloc_bytes[s] = p.process.os_bytes[alloc_of[s]];
    }
    auto old = entries_.find(id);
    if (old == entries_.end() && !counted(p.pid)) continue;  // not in the filter yet: no base
    if (old == entries_.end() && !p.has_mremap)
      log_info("pid " + std::to_string(p.pid) + " (" + p.comm + ") writes telemetry ABI " +
               std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor) +
               ", which has no mremap count: left out of the kernel cross-check");
    Entry& e = next.emplace(id, old != entries_.end() ? old->second
                                                      : Entry{!p.has_mremap, now, {}, {}})
                   .first->second;
    if (e.old_abi) continue;
    for (unsigned s = 0; s < HAK_BPF_SYSCALL_COUNT; ++s) {
      uint64_t calls = since(now.kernel_calls[s], e.base.kernel_calls[s]);
      uint64_t bytes = since(now.kernel_bytes[s], e.base.kernel_bytes[s]);
      uint64_t own_calls = since(now.alloc_calls[s], e.base.alloc_calls[s]);
      uint64_t own_bytes = since(now.alloc_bytes[s], e.base.alloc_bytes[s]);
      e.calls[s] = std::max(e.calls[s], since(calls, own_calls));
      e.bytes[s] = std::max(e.bytes[s], since(bytes, own_bytes));
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
