// The eBPF side of hakmemd in process, without loading anything: the `ebpf` config values,
// the tracepoint format check, and the families made from a reading (histogram buckets,
// byte directions, advice, errno names, entries of processes that are gone). Loading and
// exact counts on the real kernel: tests/e2e/bpf_test.py.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <string>

#include "bpf_families.h"
#include "bpf_preflight.h"
#include "config.h"
#include "reader/process_liveness.h"

namespace {

using namespace hakmem::daemon;

BpfMode mode_of(const char* json) {
  ConfigResult r = parse_config(json);
  EXPECT_TRUE(r.config) << json << ": " << r.error.message();
  return r.config ? r.config->ebpf : BpfMode::kOff;
}

TEST(BpfConfig, ModesAndTheOldBooleans) {
  EXPECT_EQ(mode_of("{}"), BpfMode::kTracked);  // the default: probes when they may
  EXPECT_EQ(mode_of(R"({"ebpf": "off"})"), BpfMode::kOff);
  EXPECT_EQ(mode_of(R"({"ebpf": "tracked"})"), BpfMode::kTracked);
  EXPECT_EQ(mode_of(R"({"ebpf": "all"})"), BpfMode::kAll);
  EXPECT_EQ(mode_of(R"({"ebpf": true})"), BpfMode::kTracked);
  EXPECT_EQ(mode_of(R"({"ebpf": false})"), BpfMode::kOff);
}

TEST(ExportConfig, ModesAndBadValues) {
  auto export_of = [](const char* json) {
    ConfigResult r = parse_config(json);
    EXPECT_TRUE(r.config) << json << ": " << r.error.message();
    return r.config ? r.config->export_mode : ExportMode::kBoth;
  };
  EXPECT_EQ(export_of("{}"), ExportMode::kProcesses);  // the default: as before aggregates
  EXPECT_EQ(export_of(R"({"export": "processes"})"), ExportMode::kProcesses);
  EXPECT_EQ(export_of(R"({"export": "aggregates"})"), ExportMode::kAggregates);
  EXPECT_EQ(export_of(R"({"export": "both"})"), ExportMode::kBoth);
  ConfigResult r = parse_config(R"({"export": true})");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.error.path, "$.export");
  EXPECT_NE(r.error.reason.find("got boolean"), std::string::npos) << r.error.reason;
}

TEST(BpfConfig, BadValuesNameTheKey) {
  ConfigResult r = parse_config(R"({"ebpf": "kernel"})");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.error.path, "$.ebpf");
  EXPECT_NE(r.error.reason.find("one of: off, tracked, all"), std::string::npos);
  r = parse_config(R"({"ebpf": 1})");
  ASSERT_FALSE(r.config);
  EXPECT_EQ(r.error.path, "$.ebpf");
  EXPECT_NE(r.error.reason.find("got integer"), std::string::npos) << r.error.reason;
}

// This kernel's sys_enter_mremap format, as tracefs prints it.
const char* kEnterFormat =
    "name: sys_enter_mremap\nID: 172\nformat:\n"
    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
    "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
    "\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
    "\tfield:unsigned long addr;\toffset:16;\tsize:8;\tsigned:0;\n"
    "\tfield:unsigned long old_len;\toffset:24;\tsize:8;\tsigned:0;\n"
    "\tfield:unsigned long new_len;\toffset:32;\tsize:8;\tsigned:0;\n";

TEST(BpfPreflight, FormatFieldsByNameOffsetAndSize) {
  EXPECT_TRUE(format_has_field(kEnterFormat, "__syscall_nr", 8, 4));
  EXPECT_TRUE(format_has_field(kEnterFormat, "", 32, 8));
  EXPECT_TRUE(format_has_field(kEnterFormat, "old_len", 24, 8));
  EXPECT_FALSE(format_has_field(kEnterFormat, "__syscall_nr", 16, 4));
  EXPECT_FALSE(format_has_field(kEnterFormat, "", 40, 8));
  EXPECT_FALSE(format_has_field(kEnterFormat, "ret", 16, 8));
  EXPECT_FALSE(format_has_field("", "", 16, 8));
}

const prometheus::MetricFamily& named(const std::vector<prometheus::MetricFamily>& fs,
                                      const std::string& name) {
  for (const auto& f : fs)
    if (f.name == name) return f;
  ADD_FAILURE() << "no family " << name;
  static prometheus::MetricFamily none;
  return none;
}

std::string label(const prometheus::ClientMetric& m, const std::string& key) {
  for (const auto& l : m.label)
    if (l.name == key) return l.value;
  return "";
}

uint64_t self_start_ns() {
  return *hakmem::reader::process_start_ticks(getpid()) *
         (1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK)));
}

TEST(BpfFamilies, DownServesEveryFamilyEmptyAndTheReason) {
  auto fs = bpf_families(BpfMode::kTracked, BpfStatus{BpfReason::kNoTracefs, "x"}, nullptr, {});
  ASSERT_EQ(fs.size(), 12u);
  const auto& up = named(fs, "hakmem_bpf_up");
  ASSERT_EQ(up.metric.size(), 1u);
  EXPECT_EQ(up.metric[0].gauge.value, 0);
  EXPECT_EQ(label(up.metric[0], "reason"), "no_tracefs");
  EXPECT_EQ(label(up.metric[0], "mode"), "tracked");
  for (const auto& f : fs)
    if (f.name != "hakmem_bpf_up") EXPECT_TRUE(f.metric.empty()) << f.name;
}

TEST(BpfFamilies, ReadingOfThisProcess) {
  BpfReading r;
  BpfCallCounts mremap;
  mremap.pid = getpid();
  mremap.start_ns = self_start_ns();
  mremap.syscall = HAK_BPF_MREMAP;
  mremap.counts.calls = 5;
  mremap.counts.bytes_grow = 8192;
  mremap.counts.bytes_shrink = 4096;
  mremap.counts.latency_sum_ns = 3000;
  mremap.counts.latency_slots[0] = 2;                          // < 512 ns
  mremap.counts.latency_slots[3] = 2;                          // [2^11, 2^12) ns
  mremap.counts.latency_slots[HAK_BPF_LATENCY_SLOTS - 1] = 1;  // from 2^27 ns
  BpfCallCounts madvise = mremap;
  madvise.syscall = HAK_BPF_MADVISE;
  madvise.counts = {};
  madvise.counts.calls = 1;
  madvise.counts.bytes_none = 4096;
  madvise.counts.advice_bytes[HAK_BPF_ADVICE_FREE] = 4096;
  madvise.counts.latency_slots[1] = 1;
  BpfCallCounts stale = mremap;
  stale.start_ns += 10'000'000'000ull;  // the pid, but another process's start: skipped
  r.counts = {mremap, madvise, stale};
  r.errors = {{getpid(), mremap.start_ns, HAK_BPF_MREMAP, 22, 3}};
  r.program_stats = true;
  r.programs = {{"enter_mmap", 2'000'000'000, 7}};
  r.full = {1, 0, 0, 2};

  auto fs = bpf_families(BpfMode::kAll, BpfStatus{BpfReason::kOk, ""}, &r, {{getpid(), "me", HAK_BPF_BRK, 3, 4096}});
  EXPECT_EQ(named(fs, "hakmem_bpf_up").metric[0].gauge.value, 1);
  const auto& calls = named(fs, "hakmem_bpf_syscalls_total");
  ASSERT_EQ(calls.metric.size(), 2u);  // the stale entry is not served
  EXPECT_EQ(label(calls.metric[0], "syscall"), "mremap");
  EXPECT_EQ(label(calls.metric[0], "pid"), std::to_string(getpid()));
  EXPECT_EQ(calls.metric[0].counter.value, 5);

  const auto& bytes = named(fs, "hakmem_bpf_syscall_bytes_total");
  ASSERT_EQ(bytes.metric.size(), 3u);  // mremap grow + shrink, madvise none
  EXPECT_EQ(label(bytes.metric[0], "direction"), "grow");
  EXPECT_EQ(bytes.metric[0].counter.value, 8192);
  EXPECT_EQ(label(bytes.metric[1], "direction"), "shrink");
  EXPECT_EQ(label(bytes.metric[2], "direction"), "none");

  const auto& advice = named(fs, "hakmem_bpf_madvise_bytes_total");
  ASSERT_EQ(advice.metric.size(), static_cast<size_t>(HAK_BPF_ADVICE_COUNT));
  EXPECT_EQ(label(advice.metric[1], "advice"), "free");
  EXPECT_EQ(advice.metric[1].counter.value, 4096);
  EXPECT_EQ(label(advice.metric[1], "syscall"), "");  // per process, not per syscall

  const auto& h = named(fs, "hakmem_bpf_syscall_duration_seconds").metric[0].histogram;
  EXPECT_EQ(h.sample_count, 5u);
  EXPECT_DOUBLE_EQ(h.sample_sum, 3e-6);
  ASSERT_EQ(h.bucket.size(), static_cast<size_t>(HAK_BPF_LATENCY_SLOTS));
  EXPECT_DOUBLE_EQ(h.bucket[0].upper_bound, 512e-9);
  EXPECT_EQ(h.bucket[0].cumulative_count, 2u);
  EXPECT_EQ(h.bucket[2].cumulative_count, 2u);
  EXPECT_DOUBLE_EQ(h.bucket[3].upper_bound, 4096e-9);
  EXPECT_EQ(h.bucket[3].cumulative_count, 4u);
  EXPECT_EQ(h.bucket[HAK_BPF_LATENCY_SLOTS - 2].cumulative_count, 4u);
  EXPECT_TRUE(std::isinf(h.bucket.back().upper_bound));
  EXPECT_EQ(h.bucket.back().cumulative_count, 5u);

  const auto& errors = named(fs, "hakmem_bpf_syscall_errors_total");
  ASSERT_EQ(errors.metric.size(), 1u);
  EXPECT_EQ(label(errors.metric[0], "errno"), "EINVAL");
  EXPECT_EQ(errors.metric[0].counter.value, 3);

  const auto& ucalls = named(fs, "hakmem_bpf_unattributed_calls_total");
  ASSERT_EQ(ucalls.metric.size(), 1u);
  EXPECT_EQ(label(ucalls.metric[0], "syscall"), "brk");
  EXPECT_EQ(ucalls.metric[0].counter.value, 3);
  EXPECT_EQ(named(fs, "hakmem_bpf_unattributed_bytes_total").metric[0].counter.value, 4096);

  EXPECT_EQ(named(fs, "hakmemd_bpf_prog_run_seconds_total").metric[0].counter.value, 2.0);
  EXPECT_EQ(named(fs, "hakmemd_bpf_prog_runs_total").metric[0].counter.value, 7);
  const auto& full = named(fs, "hakmemd_bpf_map_full_total");
  ASSERT_EQ(full.metric.size(), 4u);
  EXPECT_EQ(label(full.metric[3], "map"), "tracked");
  EXPECT_EQ(full.metric[3].counter.value, 2);
}

// The cross-check's arithmetic: bases taken once the probes count a process, changes since
// compared, a running maximum exported, old segments left out.
struct CrossCheckCase {
  hakmem::reader::Snapshot process;
  BpfReading kernel;
  uint64_t ticks = 1000;

  CrossCheckCase() {
    process.pid = 77;
    process.comm = "w";
    process.start_time_ticks = ticks;
    process.has_mremap = true;
  }
  // The kernel's mmap count and the allocator's, as now.
  void set(uint64_t kernel_mmaps, uint64_t kernel_bytes, uint64_t alloc_mmaps, uint64_t alloc_bytes) {
    BpfCallCounts c;
    c.pid = 77;
    c.start_ns = ticks * (1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK)));
    c.syscall = HAK_BPF_MMAP;
    c.counts.calls = kernel_mmaps;
    c.counts.bytes_grow = kernel_bytes;
    kernel.counts = {c};
    process.process.os_calls[0] = alloc_mmaps;  // HAK_OS_CALLS: mmap first
    process.process.os_bytes[0] = alloc_bytes;
  }
  Unattributed mmap(CrossCheck& x, bool counted = true) {
    auto rows = x.update(kernel, {process}, [&](int) { return counted; });
    for (const auto& r : rows)
      if (r.syscall == HAK_BPF_MMAP) return r;
    return {};
  }
};

TEST(BpfCrossCheck, ChangesSinceTheBaseAndARunningMaximum) {
  CrossCheck x;
  CrossCheckCase c;
  c.set(5, 500, 40, 4000);  // the allocator's 40 before tracing, the kernel's 5 since
  EXPECT_EQ(c.mmap(x, /*counted=*/false).pid, 0);  // not counted yet: no base, no rows
  EXPECT_EQ(c.mmap(x).calls, 0u);                   // the base
  c.set(5 + 12, 500 + 1200, 40 + 10, 4000 + 1000);  // 12 seen, 10 the allocator's
  Unattributed u = c.mmap(x);
  EXPECT_EQ(u.calls, 2u);
  EXPECT_EQ(u.bytes, 200u);
  EXPECT_EQ(u.comm, "w");
  c.set(5 + 12, 500 + 1200, 40 + 11, 4000 + 1100);  // one call in flight: counted only here
  EXPECT_EQ(c.mmap(x).calls, 2u);                    // the maximum ignores the dip
  c.set(5 + 20, 500 + 2000, 40 + 11, 4000 + 1100);
  EXPECT_EQ(c.mmap(x).calls, 9u);
}

TEST(BpfCrossCheck, OldSegmentsAreLeftOutAndGoneProcessesForgotten) {
  CrossCheck x;
  CrossCheckCase c;
  c.process.has_mremap = false;
  c.set(1, 1, 1, 1);
  EXPECT_TRUE(x.update(c.kernel, {c.process}, [](int) { return true; }).empty());
  c.set(9, 9, 1, 1);
  EXPECT_TRUE(x.update(c.kernel, {c.process}, [](int) { return true; }).empty());

  CrossCheck y;
  CrossCheckCase d;
  d.set(1, 1, 1, 1);
  EXPECT_EQ(y.update(d.kernel, {d.process}, [](int) { return true; }).size(),
            static_cast<size_t>(HAK_BPF_SYSCALL_COUNT));
  y.update(d.kernel, {}, [](int) { return true; });  // not exported: forgotten
  d.set(50, 50, 1, 1);
  EXPECT_EQ(d.mmap(y).calls, 0u);  // a new base, not 49
}

}  // namespace
