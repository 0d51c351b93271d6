// The collector's hakmem_* families: exactly HAK_METRIC_FAMILIES (names, types, help texts,
// order), and each one filled. A family added to the list without the code that fills it
// fails here: a process that counted something of everything gets a sample in every family.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "collector.h"
#include "hakmem/stats_names.h"

namespace {

using hakmem::reader::Snapshot;
using prometheus::MetricType;

struct Expected {
  const char* name;
  MetricType type;
  const char* help;
};

constexpr MetricType kCOUNTER = MetricType::Counter;
constexpr MetricType kGAUGE = MetricType::Gauge;

const std::vector<Expected> kListed = {
#define HAKMEMD_TEST_X(id, name, type, help) {name, k##type, help},
    HAK_METRIC_FAMILIES(HAKMEMD_TEST_X)
#undef HAKMEMD_TEST_X
};

// One process whose every counter, gauge and array entry is non-zero, in one class.
Snapshot busy_process() {
  Snapshot s;
  s.pid = 4242;
  s.comm = "busy";
  s.abi_major = 1;
  s.settings.push_back({"HAKMEM_STATS", "1"});
  s.classes.resize(hakmem::reader::kNumClasses);
  for (unsigned c = 0; c < s.classes.size(); ++c) s.classes[c].index = c;
  hakmem::reader::ClassStats& c = s.classes[3];
  c.size = 64;
  c.slabs_in_use = 1;
  c.counters.allocs = 10;
  c.counters.frees = 4;
  c.counters.remote_frees = 1;
  for (unsigned p = 0; p < HAK_NUM_PATHS; ++p) {
    c.counters.refills[p] = 1;
    c.counters.refill_objects[p] = 2;
  }
  c.cache_capacity = 128;    // blocks over the live slots: 8 KiB of 64-byte blocks
  c.cache_resizes[0] = 3;    // grow
  c.cache_resizes[1] = 1;    // shrink
  s.locks.assign(hakmem::reader::kNumLocks, hak_seg_lock{});
  for (hak_seg_lock& l : s.locks) l = hak_seg_lock{1, 1, 1, 1, 1};
  hak_seg_process& p = s.process;
  for (auto& v : p.pool_acquires) v = 1;
  for (auto& v : p.pool_releases) v = 1;
  for (auto& v : p.superslabs) v = 1;
  for (auto& v : p.os_calls) v = 1;
  for (auto& v : p.os_bytes) v = 4096;
  p.mapped_bytes = 1 << 21;
  s.has_resident = true;
  p.resident_bytes = 1 << 14;
  s.has_cache_stats = true;
  p.span_cache_bytes = 3 << 23;
  for (unsigned i = 0; i < HAK_NUM_SPAN_CACHE_EVENTS; ++i) p.span_cache_events[i] = 10 + i;
  s.has_peak = true;
  p.peak_resident_bytes = 5 << 20;
  p.peak_mapped_bytes = 9 << 20;
  p.peak_live_bytes = 3 << 20;
  p.large_allocs = p.large_frees = p.large_live_bytes = 1;
  p.threads_started = p.threads_exited = 1;
  return s;
}

TEST(Collector, FamiliesAreTheListInItsOrder) {
  std::vector<prometheus::MetricFamily> f = hakmem::daemon::process_families({});
  ASSERT_EQ(f.size(), kListed.size());
  for (size_t i = 0; i < f.size(); ++i) {
    EXPECT_EQ(f[i].name, kListed[i].name);
    EXPECT_EQ(f[i].type, kListed[i].type) << f[i].name;
    EXPECT_EQ(f[i].help, kListed[i].help) << f[i].name;
    EXPECT_TRUE(f[i].metric.empty()) << f[i].name << ": a sample without a process";
  }
}

TEST(Collector, EveryFamilyIsFilled) {
  std::vector<prometheus::MetricFamily> f = hakmem::daemon::process_families({busy_process()});
  ASSERT_EQ(f.size(), kListed.size());
  for (const prometheus::MetricFamily& family : f) {
    ASSERT_FALSE(family.metric.empty()) << family.name << " is listed but never filled";
    const prometheus::ClientMetric& m = family.metric.front();
    ASSERT_GE(m.label.size(), 2u) << family.name;
    EXPECT_EQ(m.label[0].name, "pid") << family.name;
    EXPECT_EQ(m.label[0].value, "4242") << family.name;
    EXPECT_EQ(m.label[1].name, "comm") << family.name;
  }
}

// A segment before ABI 1.4 does not tell resident from mapped bytes: no resident series, so
// a dashboard shows no fragmentation for it rather than a wrong one.
TEST(Collector, NoResidentSeriesWithoutTheWritersGauge) {
  hakmem::reader::Snapshot s = busy_process();
  s.has_resident = false;
  std::vector<prometheus::MetricFamily> f = hakmem::daemon::process_families({s});
  for (const prometheus::MetricFamily& family : f)
    if (family.name == "hakmem_resident_bytes") EXPECT_TRUE(family.metric.empty());
    else if (family.name == "hakmem_mapped_bytes") EXPECT_EQ(family.metric.size(), 1u);
}

// The label values and samples of one family of `f`, as "label=value,...": value" strings.
std::vector<std::string> samples(const std::vector<prometheus::MetricFamily>& f, const std::string& name) {
  std::vector<std::string> out;
  for (const prometheus::MetricFamily& family : f) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& m : family.metric) {
      std::string line;
      for (const auto& l : m.label) line += (line.empty() ? "" : ",") + l.name + "=" + l.value;
      double v = family.type == MetricType::Counter ? m.counter.value : m.gauge.value;
      out.push_back(line + ": " + std::to_string(static_cast<uint64_t>(v)));
    }
  }
  return out;
}

// ABI 1.5's span cache and thread-cache families: their labels (event and direction are the
// lists' names, in their order; class and size like every per-class family) and values
// (capacity in bytes: blocks x block size).
TEST(Collector, CacheFamiliesLabelsAndValues) {
  std::vector<prometheus::MetricFamily> f = hakmem::daemon::process_families({busy_process()});
  EXPECT_EQ(samples(f, "hakmem_span_cache_events_total"),
            (std::vector<std::string>{"pid=4242,comm=busy,event=hit: 10", "pid=4242,comm=busy,event=miss: 11",
                                      "pid=4242,comm=busy,event=trim: 12", "pid=4242,comm=busy,event=evict: 13"}));
  EXPECT_EQ(samples(f, "hakmem_span_cache_bytes"), (std::vector<std::string>{"pid=4242,comm=busy: 25165824"}));
  EXPECT_EQ(samples(f, "hakmem_thread_cache_resizes_total"),
            (std::vector<std::string>{"pid=4242,comm=busy,class=3,size=64,direction=grow: 3",
                                      "pid=4242,comm=busy,class=3,size=64,direction=shrink: 1"}));
  EXPECT_EQ(samples(f, "hakmem_thread_cache_capacity_bytes"),
            (std::vector<std::string>{"pid=4242,comm=busy,class=3,size=64: 8192"}));
}

// A segment before ABI 1.5 has no span cache counts and its cache capacities are not for
// readers: none of the four families, rather than zeros that read as an idle cache.
TEST(Collector, NoCacheSeriesBeforeTheirMinor) {
  hakmem::reader::Snapshot s = busy_process();
  s.has_cache_stats = false;
  std::vector<prometheus::MetricFamily> f = hakmem::daemon::process_families({s});
  for (const char* name : {"hakmem_span_cache_events_total", "hakmem_span_cache_bytes",
                           "hakmem_thread_cache_resizes_total", "hakmem_thread_cache_capacity_bytes"})
    EXPECT_TRUE(samples(f, name).empty()) << name;
  EXPECT_EQ(samples(f, "hakmem_allocs_total").size(), 1u);
}

// ABI 1.6's footprint at the peak: one gauge each per process, none for an older segment.
TEST(Collector, PeakFamiliesPerProcess) {
  std::vector<prometheus::MetricFamily> f = hakmem::daemon::process_families({busy_process()});
  EXPECT_EQ(samples(f, "hakmem_peak_resident_bytes"), (std::vector<std::string>{"pid=4242,comm=busy: 5242880"}));
  EXPECT_EQ(samples(f, "hakmem_peak_mapped_bytes"), (std::vector<std::string>{"pid=4242,comm=busy: 9437184"}));
  EXPECT_EQ(samples(f, "hakmem_peak_live_bytes"), (std::vector<std::string>{"pid=4242,comm=busy: 3145728"}));
  Snapshot old = busy_process();
  old.has_peak = false;
  f = hakmem::daemon::process_families({old});
  for (const char* name : {"hakmem_peak_resident_bytes", "hakmem_peak_mapped_bytes", "hakmem_peak_live_bytes"})
    EXPECT_TRUE(samples(f, name).empty()) << name;
}

// The per-comm aggregates: hakmem_comm_processes and _processes_exited_total, then the list's
// families but the per-process ones (info, settings, stopped, the peaks: peaks of different
// processes happen at different moments), each renamed hakmem_X ->
// hakmem_comm_X with its type, and each filled from a comm's totals with the comm label only.
TEST(Collector, CommFamiliesAreTheListPerComm) {
  hakmem::daemon::CommTotals t;
  t.comm = "busy";
  t.sums = busy_process();
  t.live_bytes.assign(t.sums.classes.size(), 0);
  t.live_bytes[3] = 640;
  t.processes = 2;
  t.exited = 5;
  std::vector<prometheus::MetricFamily> f = hakmem::daemon::comm_families({t});
  ASSERT_GE(f.size(), 2u);
  EXPECT_EQ(f[0].name, "hakmem_comm_processes");
  EXPECT_EQ(f[1].name, "hakmem_comm_processes_exited_total");
  size_t i = 2;
  for (const Expected& e : kListed) {
    std::string name = e.name;
    if (name == "hakmem_process_info" || name == "hakmem_config_info" || name == "hakmem_process_stopped" ||
        name.starts_with("hakmem_peak_"))
      continue;
    ASSERT_LT(i, f.size());
    EXPECT_EQ(f[i].name, "hakmem_comm_" + name.substr(7));
    EXPECT_EQ(f[i].type, e.type) << f[i].name;
    ++i;
  }
  EXPECT_EQ(i, f.size());
  for (const prometheus::MetricFamily& family : f) {
    ASSERT_FALSE(family.metric.empty()) << family.name << " is never filled";
    const prometheus::ClientMetric& m = family.metric.front();
    ASSERT_GE(m.label.size(), 1u) << family.name;
    EXPECT_EQ(m.label[0].name, "comm") << family.name;
    for (const auto& l : m.label) EXPECT_NE(l.name, "pid") << family.name;
  }
  for (const prometheus::MetricFamily& family : f) {
    if (family.name != "hakmem_comm_live_bytes") continue;
    EXPECT_EQ(family.metric.front().gauge.value, 640) << "a comm's live bytes are its live processes', given";
  }
}

}  // namespace
