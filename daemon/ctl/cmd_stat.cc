// `hakmemctl stat PID [--json]` and `hakmemctl snapshot PID`: one reading of a live segment,
// as tables for people or as the snapshot JSON (snapshot_json.h).
//
// Tables: the process line; per class with any activity its counts, live bytes and slabs (from
// ABI 1.5 also its thread caches' capacity and resizes); per class the refill paths it drew
// from, each with its hit rate (its share of the class's refilled objects) and objects per
// refill; the lock table; occupancy (from ABI 1.5 with the span cache) and the allocator's OS
// calls; the HAKMEM_* settings; and, when hakmemd answers at --daemon (default
// 127.0.0.1:9464, "off" to skip), the kernel's count of the same calls beside the allocator's.
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "args.h"
#include "commands.h"
#include "daemon_query.h"
#include "format.h"
#include "reader/names.h"
#include "reader/process_liveness.h"
#include "reader/segment_file.h"
#include "snapshot_json.h"
#include "target.h"

namespace hakmem::ctl {

namespace {

using reader::Snapshot;

void print_process(const Snapshot& s, std::ostream& out) {
  std::string flags;
  if (s.flags & HAK_SEG_FLAG_ACTIVE) flags += "active";
  if (s.flags & HAK_SEG_FLAG_ABANDONED) flags += flags.empty() ? "abandoned" : ",abandoned";
  out << "pid " << s.pid << " (" << printable(s.comm) << ")  ABI " << s.abi_major << "." << s.abi_minor
      << "  up " << duration_s(reader::process_uptime_seconds(s.start_time_ticks)) << "  flags "
      << (flags.empty() ? "none" : flags) << "  slots " << s.live_slots << " live of " << s.slots
      << "  generation " << s.generation << "\n";
  if (s.process_stopped)
    out << "  stopped (a signal or a debugger): the counts are as of the stop\n";
  if (!s.live_caches)
    out << "  counts may lag: an ABI " << s.abi_major << "." << s.abi_minor
        << " segment shows a thread's last operations at its next refill, flush or exit\n";
}

void print_classes(const Snapshot& s, std::ostream& out) {
  std::vector<std::string> header = {"class", "size", "allocs", "frees", "remote_frees", "live_bytes",
                                     "slabs_in_use", "refilled_objects"};
  // ABI 1.5 on: the bytes the thread caches of the class may hold, and how often they grew
  // and shrank (one cell, "3/1", so the table stays within a terminal).
  if (s.has_cache_stats) header.insert(header.end(), {"cache_bytes", slashed(reader::kCacheResizeNames)});
  Table t(std::move(header), "");
  Table paths({"class", "size", "path", "hit_rate", "refills", "objects", "objects/refill"}, "rrl");
  for (const reader::ClassStats& c : s.classes) {
    if (!c.active()) continue;
    std::vector<std::string> row = {num(c.index), num(c.size), num(c.counters.allocs), num(c.counters.frees),
                                    num(c.counters.remote_frees), num(c.live_bytes()), num(c.slabs_in_use),
                                    num(c.refilled_objects())};
    if (s.has_cache_stats)
      row.insert(row.end(), {num(c.cache_capacity_bytes()), slashed(c.cache_resizes)});
    t.row(std::move(row));
    for (std::size_t p = 0; p < reader::kNumPaths; ++p) {
      if (c.counters.refills[p] == 0 && c.counters.refill_objects[p] == 0) continue;
      paths.row({num(c.index), num(c.size), std::string(reader::kPathNames[p]),
                 percent(c.hit_rate_percent(p)), num(c.counters.refills[p]),
                 num(c.counters.refill_objects[p]), fixed(c.objects_per_refill(p), 1)});
    }
  }
  out << "\nclasses with activity\n";
  t.print_or(out, "  ", "(none)");
  out << "\nrefill paths (hit rate: the path's share of the class's refilled objects)\n";
  paths.print_or(out, "  ", "(no refills)");
}

void print_locks(const Snapshot& s, std::ostream& out) {
  Table t({"lock", "acquisitions", "contended", "contended%", "wait_total", "wait_max", "hold_total"});
  for (std::size_t i = 0; i < s.locks.size() && i < reader::kNumLocks; ++i) {
    const hak_seg_lock& l = s.locks[i];
    double share = l.acquisitions ? 100.0 * double(l.contended) / double(l.acquisitions) : 0.0;
    t.row({std::string(reader::kLockNames[i]), num(l.acquisitions), num(l.contended), percent(share),
           duration_ns(l.wait_ns_total), duration_ns(l.wait_ns_max), duration_ns(l.hold_ns_total)});
  }
  out << "\nlocks\n";
  t.print(out, "  ");
}

void print_occupancy(const Snapshot& s, std::ostream& out) {
  const hak_seg_process& p = s.process;
  out << "\noccupancy\n";
  out << "  mapped " << bytes_human(p.mapped_bytes) << " (" << p.mapped_bytes << " B), ";
  if (s.has_resident) out << "resident " << bytes_human(p.resident_bytes) << ", ";
  out << "small live "
      << bytes_human(s.small_live_bytes()) << ", large live " << bytes_human(p.large_live_bytes)
      << " (" << p.large_allocs << " allocs, " << p.large_frees << " frees)\n";
  if (s.has_peak) {
    out << "  at the peak: resident " << bytes_human(p.peak_resident_bytes) << ", mapped "
        << bytes_human(p.peak_mapped_bytes) << ", live " << bytes_human(p.peak_live_bytes);
    if (p.peak_live_bytes != 0) {
      auto per_live = [&](uint64_t v) { return fixed(static_cast<double>(v) / static_cast<double>(p.peak_live_bytes), 2); };
      out << " (resident/live " << per_live(p.peak_resident_bytes) << ", mapped/live " << per_live(p.peak_mapped_bytes) << ")";
    }
    out << "\n";
  }
  if (s.has_cache_stats) {
    out << "  span cache " << bytes_human(p.span_cache_bytes) << ":";
    for (std::size_t i = 0; i < reader::kNumSpanCacheEvents; ++i)
      out << " " << reader::kSpanCacheEventNames[i] << " " << p.span_cache_events[i];
    out << "\n";
  }
  out << "  superslabs:";
  for (std::size_t i = 0; i < reader::kNumSuperslabStates; ++i)
    out << " " << reader::kSuperslabStateNames[i] << " " << p.superslabs[i];
  out << "\n  threads: " << p.threads_started << " started, " << p.threads_exited << " exited\n";
  out << "  pool acquires:";
  for (std::size_t i = 0; i < reader::kNumPoolStages; ++i)
    out << " " << reader::kPoolStageNames[i] << " " << p.pool_acquires[i];
  out << "\n  pool releases:";
  // Before ABI minor 6 a segment did not count reclaims: the kind is left out, not shown as 0.
  for (std::size_t i = 0; i < s.pool_release_kinds(); ++i)
    out << " " << reader::kPoolReleaseNames[i] << " " << p.pool_releases[i];
  out << "\n  os calls:";
  for (std::size_t i = 0; i < reader::kNumOsCalls; ++i)
    out << " " << reader::kOsCallNames[i] << " " << p.os_calls[i] << " (" << bytes_human(p.os_bytes[i]) << ")";
  out << "\n";
}

void print_settings(const Snapshot& s, std::ostream& out) {
  out << "\nsettings\n";
  if (s.settings.empty()) out << "  (none recorded)\n";
  for (const reader::Setting& st : s.settings)
    out << "  " << printable(st.name) << "=" << printable(st.value) << "  (" << st.source << ")\n";
}

// The one PID argument of `command`, read; nullopt after printing why not.
std::optional<Snapshot> load_pid_argument(const char* command, const Args& args) {
  args.expect_positional(1, 1, "PID");
  int pid = parse_pid(args.positional()[0]);
  Loaded l = load_pid(args.value("--dir").value_or(reader::default_segment_dir()), pid);
  if (!l.ok()) {
    std::cerr << "hakmemctl " << command << ": " << l.error << "\n";
    return std::nullopt;
  }
  return std::move(l.snapshot);
}

// The allocator's OS calls beside what the kernel saw (hakmemd's eBPF cross-check).
void print_kernel(const Snapshot& s, const std::string& address, std::ostream& out) {
  out << "\nkernel (hakmemd at " << address << ")\n";
  KernelView k = query_daemon(address, s.pid, 3000);
  if (!k.problem.empty()) {
    out << "  " << printable(k.problem) << "\n";
    return;
  }
  if (!k.traced) {
    out << "  hakmemd does not trace pid " << s.pid
        << " (not exported, or traced only from its next call)\n";
    return;
  }
  Table t({"syscall", "allocator_calls", "allocator_bytes", "kernel_calls", "kernel_bytes",
           "unattributed_calls", "unattributed_bytes"}, "l");
  for (std::size_t i = 0; i < HAK_BPF_SYSCALL_COUNT; ++i) {
    const KernelCounts& c = k.by_syscall[i];
    uint64_t ac = 0, ab = 0;
    for (std::size_t o = 0; o < reader::kNumOsCalls; ++o)
      if (reader::kOsCallNames[o] == std::string_view(kKernelSyscalls[i])) {
        ac = s.process.os_calls[o];
        ab = s.process.os_bytes[o];
      }
    t.row({kKernelSyscalls[i], num(ac), bytes_human(ab), num(static_cast<uint64_t>(c.calls)),
           bytes_human(static_cast<uint64_t>(c.bytes)),
           k.compared ? num(static_cast<uint64_t>(c.unattributed_calls)) : "-",
           k.compared ? bytes_human(static_cast<uint64_t>(c.unattributed_bytes)) : "-"});
  }
  t.print(out, "  ");
  out << "  (allocator: since the process started; kernel: since hakmemd began tracing it;"
         " unattributed: since the cross-check began"
      << (k.compared ? "" : ", not compared for this process") << ")\n";
}

void print_stat(const Snapshot& s, const std::string& daemon, std::ostream& out) {
  print_process(s, out);
  print_classes(s, out);
  print_locks(s, out);
  print_occupancy(s, out);
  print_settings(s, out);
  if (daemon != "off") print_kernel(s, daemon, out);
}

}  // namespace

int cmd_stat(int argc, char** argv) {
  Args args(argc, argv, 0, {{"--json", false}, {"--dir", true}, {"--daemon", true}});
  std::optional<Snapshot> s = load_pid_argument("stat", args);
  if (!s) return kExitFailure;
  if (args.flag("--json"))
    std::cout << snapshot_text(snapshot_to_json(*s)) << "\n";
  else
    print_stat(*s, args.value("--daemon").value_or("127.0.0.1:9464"), std::cout);
  return kExitOk;
}

int cmd_snapshot(int argc, char** argv) {
  Args args(argc, argv, 0, {{"--dir", true}});
  std::optional<Snapshot> s = load_pid_argument("snapshot", args);
  if (!s) return kExitFailure;
  std::cout << snapshot_text(snapshot_to_json(*s)) << "\n";
  return std::cout.good() ? kExitOk : kExitFailure;
}

}  // namespace hakmem::ctl
