// See bpf_families.h.
#include "bpf_families.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <string>

#include "families.h"

namespace hakmem::daemon {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr const char* kAdviceNames[HAK_BPF_ADVICE_COUNT] = {
#define HAKMEMD_X_NAME(id, name) name,
    HAK_BPF_ADVICES(HAKMEMD_X_NAME)
#undef HAKMEMD_X_NAME
};

// Which byte directions a call can have: series only for those, always all of them, so a
// series does not appear halfway through a process's life.
bool grows(uint32_t s) { return s == HAK_BPF_MMAP || s == HAK_BPF_MREMAP || s == HAK_BPF_BRK; }
bool shrinks(uint32_t s) { return s == HAK_BPF_MUNMAP || s == HAK_BPF_MREMAP || s == HAK_BPF_BRK; }

double d(uint64_t v) { return static_cast<double>(v); }

std::string comm_of(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

std::string errno_name(uint32_t e) {
  const char* n = strerrorname_np(static_cast<int>(e));
  return n ? n : std::to_string(e);
}

ClientMetric histogram(const std::vector<ClientMetric::Label>& labels, const hak_bpf_counts& c) {
  ClientMetric m;
  m.label = labels;
  m.histogram.sample_count = c.calls;
  m.histogram.sample_sum = d(c.latency_sum_ns) / 1e9;
  uint64_t cumulative = 0;
  for (unsigned s = 0; s + 1 < HAK_BPF_LATENCY_SLOTS; ++s) {
    cumulative += c.latency_slots[s];
    // Slot s holds durations below 2^(s + FIRST_LOG2 + 1) ns (memsys_abi.h).
    double le = std::ldexp(1.0, static_cast<int>(s + HAK_BPF_LATENCY_FIRST_LOG2 + 1)) / 1e9;
    m.histogram.bucket.push_back({cumulative, le});
  }
  m.histogram.bucket.push_back({c.calls, std::numeric_limits<double>::infinity()});
  return m;
}

}  // namespace

std::vector<MetricFamily> bpf_families(BpfMode mode, const BpfStatus& status,
                                       const BpfReading* reading,
                                       const std::vector<Unattributed>& unattributed) {
  // The help text lists the reasons from kBpfReasons, so it cannot fall behind the enum.
  static const std::string up_help = [] {
    std::string h = "1 when the eBPF probes are loaded and attached; reason says why not (";
    for (BpfReason r : kBpfReasons) h += std::string(bpf_reason_name(r)) + ", ";
    h.resize(h.size() - 2);
    return h + ")";
  }();
  MetricFamily up = family("hakmem_bpf_up", up_help.c_str(), MetricType::Gauge);
  add(up, {}, {{"mode", std::string(bpf_mode_name(mode))},
               {"reason", std::string(bpf_reason_name(status.reason))}},
      status.up() ? 1 : 0);
  MetricFamily calls = family("hakmem_bpf_syscalls_total",
                              "Memory system calls the kernel saw the process make since it was "
                              "first traced, failed ones included",
                              MetricType::Counter);
  MetricFamily errors = family("hakmem_bpf_syscall_errors_total",
                               "Memory system calls that failed, by errno", MetricType::Counter);
  MetricFamily bytes = family("hakmem_bpf_syscall_bytes_total",
                              "Bytes of the memory system calls that succeeded, as asked: "
                              "direction grow (mmap, growing mremap and brk), shrink (munmap, "
                              "shrinking mremap and brk) or none (madvise)",
                              MetricType::Counter);
  MetricFamily advice = family("hakmem_bpf_madvise_bytes_total",
                               "Bytes of successful madvise calls, by advice", MetricType::Counter);
  MetricFamily duration = family("hakmem_bpf_syscall_duration_seconds",
                                 "Time inside each memory system call, entry to exit (log2 buckets)",
                                 MetricType::Histogram);
  MetricFamily unattributed_calls = family(
      "hakmem_bpf_unattributed_calls_total",
      "Memory system calls the kernel saw a HAKMEM process make that its allocator did not "
      "(loader, libc, thread stacks, a JIT...), since the cross-check began",
      MetricType::Counter);
  MetricFamily unattributed_bytes = family(
      "hakmem_bpf_unattributed_bytes_total",
      "Bytes of the memory system calls the kernel saw a HAKMEM process make that its "
      "allocator did not, since the cross-check began",
      MetricType::Counter);
  for (const Unattributed& u : unattributed) {
    std::vector<ClientMetric::Label> l = {{"pid", std::to_string(u.pid)},
                                          {"comm", u.comm},
                                          {"syscall", kBpfSyscallNames[u.syscall]}};
    add(unattributed_calls, l, {}, d(u.calls));
    add(unattributed_bytes, l, {}, d(u.bytes));
  }
  MetricFamily prog_seconds = family("hakmemd_bpf_prog_run_seconds_total",
                                     "CPU time the kernel spent in each eBPF program of hakmemd "
                                     "(kernel program statistics, on while hakmemd runs)",
                                     MetricType::Counter);
  MetricFamily prog_runs = family("hakmemd_bpf_prog_runs_total",
                                  "Times each eBPF program of hakmemd ran", MetricType::Counter);
  MetricFamily attached = family("hakmemd_bpf_attached",
                                 "1 while the eBPF programs are attached; in mode tracked they "
                                 "are detached while no HAKMEM process is tracked, so that the "
                                 "host's syscalls keep their fast path",
                                 MetricType::Gauge);
  MetricFamily full = family("hakmemd_bpf_map_full_total",
                             "Times an eBPF map was full when an entry was needed: that call "
                             "(inflight, counts, errors) or process (tracked) went uncounted",
                             MetricType::Counter);

  if (reading) {
    // A pid's label set is made once; entries of processes that are gone (or whose pid was
    // reused) are skipped.
    std::map<std::pair<int, uint64_t>, std::vector<ClientMetric::Label>> procs;
    auto base = [&](int pid, uint64_t start_ns) -> const std::vector<ClientMetric::Label>* {
      auto [it, fresh] = procs.try_emplace({pid, start_ns});
      if (fresh && bpf_process_is(pid, start_ns))
        it->second = {{"pid", std::to_string(pid)}, {"comm", comm_of(pid)}};
      return it->second.empty() ? nullptr : &it->second;
    };
    for (const BpfCallCounts& e : reading->counts) {
      const auto* b = base(e.pid, e.start_ns);
      if (!b) continue;
      std::vector<ClientMetric::Label> l = *b;
      l.push_back({"syscall", kBpfSyscallNames[e.syscall]});
      const hak_bpf_counts& c = e.counts;
      add(calls, l, {}, d(c.calls));
      if (grows(e.syscall)) add(bytes, l, {{"direction", "grow"}}, d(c.bytes_grow));
      if (shrinks(e.syscall)) add(bytes, l, {{"direction", "shrink"}}, d(c.bytes_shrink));
      if (e.syscall == HAK_BPF_MADVISE) {
        add(bytes, l, {{"direction", "none"}}, d(c.bytes_none));
        for (unsigned a = 0; a < HAK_BPF_ADVICE_COUNT; ++a)
          add(advice, *b, {{"advice", kAdviceNames[a]}}, d(c.advice_bytes[a]));
      }
      duration.metric.push_back(histogram(l, c));
    }
    for (const BpfErrorCount& e : reading->errors) {
      const auto* b = base(e.pid, e.start_ns);
      if (!b) continue;
      add(errors, *b, {{"syscall", kBpfSyscallNames[e.syscall]}, {"errno", errno_name(e.error)}},
          d(e.count));
    }
    if (reading->program_stats) {
      for (const BpfProgramStats& p : reading->programs) {
        add(prog_seconds, {}, {{"program", p.name}}, d(p.run_ns) / 1e9);
        add(prog_runs, {}, {{"program", p.name}}, d(p.runs));
      }
    }
    add(attached, {}, {}, reading->attached ? 1 : 0);
    for (size_t i = 0; i < reading->full.size(); ++i)
      add(full, {}, {{"map", kBpfFullMapNames[i]}}, d(reading->full[i]));
  }
  std::vector<MetricFamily> out;
  for (MetricFamily* f : {&up, &calls, &errors, &bytes, &advice, &duration, &unattributed_calls,
                          &unattributed_bytes, &prog_seconds, &prog_runs, &attached, &full})
    out.push_back(std::move(*f));
  return out;
}

}  // namespace hakmem::daemon
