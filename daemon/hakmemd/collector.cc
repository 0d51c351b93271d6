// See collector.h. The hakmem_* families are HAK_METRIC_FAMILIES (hakmem/stats_names.h), in
// its order, with its names, types and help texts; per process, one pass fills all of them
// (tests/hakmemd/collector_test.cc checks that each gets a sample). The hakmemd_* families
// follow.
#include "collector.h"

#include <chrono>
#include <string>

#include "bpf_families.h"
#include "families.h"
#include "hakmem/stats_names.h"
#include "reader/names.h"
#include "version.h"

namespace hakmem::daemon {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr double kNsPerSecond = 1e9;

using reader::kLockNames;
using reader::kOsCallNames;
using reader::kPathNames;
using reader::kPoolReleaseNames;
using reader::kPoolStageNames;
using reader::kSuperslabStateNames;
using reader::kCacheResizeNames;
using reader::kSpanCacheEventNames;

double d(uint64_t v) { return static_cast<double>(v); }

// Index of each family of HAK_METRIC_FAMILIES (hakmem/stats_names.h) in process_families().
enum Family : size_t {
#define HAKMEMD_X_ENUM(id, name, type, help) kFamily##id,
  HAK_METRIC_FAMILIES(HAKMEMD_X_ENUM)
#undef HAKMEMD_X_ENUM
};

// The list's type tokens.
constexpr MetricType kTypeCOUNTER = MetricType::Counter;
constexpr MetricType kTypeGAUGE = MetricType::Gauge;

// hakmem_X of the list is hakmem_comm_X per comm.
constexpr const char* kCommPrefix = "hakmem_comm_";
constexpr size_t kPrefixLength = sizeof("hakmem_") - 1;
constexpr const char* kCommHelp = "Per comm, every process exported (exited ones' final counts kept; gauges: the live ones): ";

}  // namespace

namespace {

// One reading's samples, appended to `f` (the HAK_METRIC_FAMILIES vector): a process's, with
// `base` its pid and comm; or a comm's totals (CommTotals), whose classes' live bytes are
// `class_live`'s (comm_families drops the per-process-only families afterwards).
void add_samples(std::vector<MetricFamily>& f, const std::vector<ClientMetric::Label>& base,
                 const reader::Snapshot& p, const std::vector<uint64_t>* class_live) {
  add(f[kFamilyPROCESS_INFO], base,
      {{"abi_version", std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor)}}, 1);
  for (const reader::Setting& s : p.settings)
    add(f[kFamilyCONFIG_INFO], base, {{"key", s.name}, {"value", s.value}, {"source", s.source}}, 1);
  for (const reader::ClassStats& c : p.classes) {
    if (!c.active()) continue;  // series only for classes the process used
    std::vector<ClientMetric::Label> cls = base;
    cls.push_back({"class", std::to_string(c.index)});
    cls.push_back({"size", std::to_string(c.size)});
    const hak_seg_class_counters& k = c.counters;
    add(f[kFamilyALLOCS], cls, {}, d(k.allocs));
    add(f[kFamilyFREES], cls, {}, d(k.frees));
    add(f[kFamilyREMOTE_FREES], cls, {}, d(k.remote_frees));
    for (unsigned i = 0; i < HAK_NUM_PATHS; ++i) {
      // A path's series appear once it has supplied an object: most classes draw from two
      // or three of the seven, and the zeros would be half of all series at scale.
      if (k.refills[i] == 0 && k.refill_objects[i] == 0) continue;
      add(f[kFamilyREFILLS], cls, {{"path", std::string(kPathNames[i])}}, d(k.refills[i]));
      add(f[kFamilyREFILL_OBJECTS], cls, {{"path", std::string(kPathNames[i])}}, d(k.refill_objects[i]));
    }
    add(f[kFamilySLABS], cls, {{"state", "in_use"}}, d(c.slabs_in_use));
    add(f[kFamilyLIVE], cls, {}, d(class_live == nullptr ? c.live_bytes() : (*class_live)[c.index]));
    if (!p.has_cache_stats) continue;
    // Both directions, zeros too: a class that never resized is worth a flat line, and the
    // list has two entries (unlike the paths, most of whose series would be zero).
    for (unsigned i = 0; i < HAK_NUM_CACHE_RESIZES; ++i)
      add(f[kFamilyCACHE_RESIZES], cls, {{"direction", std::string(kCacheResizeNames[i])}}, d(c.cache_resizes[i]));
    add(f[kFamilyCACHE_CAPACITY], cls, {}, d(c.cache_capacity_bytes()));
  }
  add(f[kFamilyLIVE], base, {{"class", "large"}}, d(p.process.large_live_bytes));

  for (size_t i = 0; i < p.locks.size() && i < HAK_NUM_LOCKS; ++i) {
    const hak_seg_lock& l = p.locks[i];
    std::initializer_list<ClientMetric::Label> lock = {{"lock", std::string(kLockNames[i])}};
    add(f[kFamilyLOCK_ACQUISITIONS], base, lock, d(l.acquisitions));
    add(f[kFamilyLOCK_CONTENDED], base, lock, d(l.contended));
    add(f[kFamilyLOCK_WAIT], base, lock, d(l.wait_ns_total) / kNsPerSecond);
    add(f[kFamilyLOCK_HOLD], base, lock, d(l.hold_ns_total) / kNsPerSecond);
    add(f[kFamilyLOCK_WAIT_MAX], base, lock, d(l.wait_ns_max) / kNsPerSecond);
  }
  const hak_seg_process& pr = p.process;
  for (unsigned i = 0; i < HAK_NUM_POOL_STAGES; ++i)
    add(f[kFamilyPOOL_ACQUIRES], base, {{"stage", std::string(kPoolStageNames[i])}}, d(pr.pool_acquires[i]));
  // A segment before minor 6 does not count reclaims: no series rather than a zero that lies.
  for (unsigned i = 0; i < p.pool_release_kinds(); ++i)
    add(f[kFamilyPOOL_RELEASES], base, {{"kind", std::string(kPoolReleaseNames[i])}}, d(pr.pool_releases[i]));
  for (unsigned i = 0; i < HAK_NUM_SUPERSLAB_STATES; ++i)
    add(f[kFamilySUPERSLABS], base, {{"state", std::string(kSuperslabStateNames[i])}}, d(pr.superslabs[i]));
  add(f[kFamilyMAPPED], base, {}, d(pr.mapped_bytes));
  for (unsigned i = 0; i < HAK_NUM_OS_CALLS; ++i) {
    add(f[kFamilyOS_CALLS], base, {{"syscall", std::string(kOsCallNames[i])}}, d(pr.os_calls[i]));
    add(f[kFamilyOS_BYTES], base, {{"syscall", std::string(kOsCallNames[i])}}, d(pr.os_bytes[i]));
  }
  add(f[kFamilyLARGE_ALLOCS], base, {}, d(pr.large_allocs));
  add(f[kFamilyLARGE_FREES], base, {}, d(pr.large_frees));
  add(f[kFamilyTHREADS_STARTED], base, {}, d(pr.threads_started));
  add(f[kFamilyTHREADS_EXITED], base, {}, d(pr.threads_exited));
  add(f[kFamilyPROCESS_STOPPED], base, {}, p.process_stopped ? 1 : 0);
  if (p.has_resident) add(f[kFamilyRESIDENT], base, {}, d(pr.resident_bytes));
  if (p.has_cache_stats) {
    for (unsigned i = 0; i < HAK_NUM_SPAN_CACHE_EVENTS; ++i)
      add(f[kFamilySPAN_CACHE_EVENTS], base, {{"event", std::string(kSpanCacheEventNames[i])}}, d(pr.span_cache_events[i]));
    add(f[kFamilySPAN_CACHE_BYTES], base, {}, d(pr.span_cache_bytes));
  }
  if (p.has_peak) {
    add(f[kFamilyPEAK_RESIDENT], base, {}, d(pr.peak_resident_bytes));
    add(f[kFamilyPEAK_MAPPED], base, {}, d(pr.peak_mapped_bytes));
    add(f[kFamilyPEAK_LIVE], base, {}, d(pr.peak_live_bytes));
  }
}

// Families that describe one process and have no per-comm sum (peaks of different processes
// happen at different moments: their sum is no footprint anyone had).
bool per_process_only(size_t family) {
  return family == kFamilyPROCESS_INFO || family == kFamilyCONFIG_INFO || family == kFamilyPROCESS_STOPPED ||
         family == kFamilyPEAK_RESIDENT || family == kFamilyPEAK_MAPPED || family == kFamilyPEAK_LIVE;
}

}  // namespace

std::vector<MetricFamily> process_families(const std::vector<reader::Snapshot>& processes) {
  std::vector<MetricFamily> f = {
#define HAKMEMD_X_FAMILY(id, name, type, help) family(name, help, kType##type),
      HAK_METRIC_FAMILIES(HAKMEMD_X_FAMILY)
#undef HAKMEMD_X_FAMILY
  };
  size_t classes = 0;
  for (const reader::Snapshot& p : processes)
    for (const reader::ClassStats& c : p.classes) classes += c.active() ? 1 : 0;
  for (size_t i = kFamilyALLOCS; i <= kFamilyREFILL_OBJECTS; ++i) f[i].metric.reserve(classes * (i >= kFamilyREFILLS ? 3 : 1));
  f[kFamilySLABS].metric.reserve(classes);
  f[kFamilyLIVE].metric.reserve(classes + processes.size());
  for (size_t i = kFamilyLOCK_ACQUISITIONS; i <= kFamilyLOCK_WAIT_MAX; ++i) f[i].metric.reserve(processes.size() * HAK_NUM_LOCKS);
  for (const reader::Snapshot& p : processes)
    add_samples(f, {{"pid", std::to_string(p.pid)}, {"comm", p.comm}}, p, nullptr);
  return f;
}

std::vector<MetricFamily> comm_families(const std::vector<CommTotals>& comms) {
  const auto C = MetricType::Counter;
  const auto G = MetricType::Gauge;
  std::vector<MetricFamily> f = {
#define HAKMEMD_X_FAMILY(id, name, type, help) \
  family((std::string(kCommPrefix) + ((name) + kPrefixLength)).c_str(), (std::string(kCommHelp) + (help)).c_str(), kType##type),
      HAK_METRIC_FAMILIES(HAKMEMD_X_FAMILY)
#undef HAKMEMD_X_FAMILY
  };
  MetricFamily processes = family("hakmem_comm_processes", "Processes of the comm exported now (and exiting ones not yet gone)", G);
  MetricFamily exited = family("hakmem_comm_processes_exited_total", "Processes of the comm gone since hakmemd started, their final counts kept in the hakmem_comm_* counters", C);
  for (const CommTotals& t : comms) {
    std::vector<ClientMetric::Label> base = {{"comm", t.comm}};
    add_samples(f, base, t.sums, &t.live_bytes);
    add(processes, base, {}, d(t.processes));
    add(exited, base, {}, d(t.exited));
  }
  std::vector<MetricFamily> out;
  out.push_back(std::move(processes));
  out.push_back(std::move(exited));
  for (size_t i = 0; i < f.size(); ++i)
    if (!per_process_only(i)) out.push_back(std::move(f[i]));
  return out;
}

Collector::Collector(std::shared_ptr<Monitor> monitor, std::shared_ptr<BpfService> bpf)
    : monitor_(std::move(monitor)),
      bpf_(std::move(bpf)),
      scrape_duration_(prometheus::Histogram::BucketBoundaries{
          0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}) {}

void Collector::segment_appeared(int pid) {
  if (export_.load(std::memory_order_relaxed) == ExportMode::kProcesses) return;
  if (std::shared_ptr<const SegmentDir> dir = monitor_->directory()) aggregates_.appeared(pid, dir->path());
}

std::vector<MetricFamily> Collector::Collect() const {
  auto start = std::chrono::steady_clock::now();
  SelfStats self;
  std::optional<BpfReading> kernel = bpf_->read();  // before the segments (bpf_crosscheck.h)
  std::vector<reader::Snapshot> processes = monitor_->scrape(&self);
  const ExportMode mode = export_.load(std::memory_order_relaxed);
  std::vector<MetricFamily> out;
  if (mode != ExportMode::kAggregates) out = process_families(processes);
  if (mode != ExportMode::kProcesses) {
    if (std::shared_ptr<const SegmentDir> dir = monitor_->directory())
      for (MetricFamily& f : comm_families(aggregates_.update(processes, dir->path()))) out.push_back(std::move(f));
  }
  std::vector<Unattributed> unattributed;
  if (kernel) unattributed = bpf_->cross_check(*kernel, processes);
  for (MetricFamily& f : bpf_families(bpf_->mode(), bpf_->status(), kernel ? &*kernel : nullptr,
                                      unattributed))
    out.push_back(std::move(f));

  const auto C = MetricType::Counter;
  const auto G = MetricType::Gauge;
  MetricFamily build = family("hakmemd_build_info", "hakmemd's version and the segment ABI it reads (value 1)", G);
  add(build, {}, {{"version", kVersion}, {"revision", kGitRevision},
                  {"abi_version", std::to_string(kAbiMajor) + "." + std::to_string(kAbiMinor)}}, 1);
  out.push_back(std::move(build));

  MetricFamily segments = family("hakmemd_segments", "Segment files in the directory, by the state of their last reading", G);
  for (const auto& [state, n] : self.segments) add(segments, {}, {{"state", state}}, d(n));
  out.push_back(std::move(segments));

  MetricFamily rejections = family("hakmemd_segment_rejections_total", "Segments rejected (or found stale), by reason; each segment counts once per reason", C);
  for (const auto& [reason, n] : self.rejections) add(rejections, {}, {{"reason", reason}}, d(n));
  out.push_back(std::move(rejections));

  MetricFamily removed = family("hakmemd_stale_segments_removed_total", "Stale segments of dead processes removed", C);
  add(removed, {}, {}, d(self.stale_removed));
  out.push_back(std::move(removed));

  MetricFamily errors = family("hakmemd_errors_total", "Errors the daemon logged and survived, by source", C);
  for (const auto& [source, n] : self.errors) add(errors, {}, {{"source", source}}, d(n));
  out.push_back(std::move(errors));

  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  scrape_duration_.Observe(seconds);
  MetricFamily duration = family("hakmemd_scrape_duration_seconds", "Time to read every segment and build the metrics of a scrape (serialization excluded)", MetricType::Histogram);
  duration.metric.push_back(scrape_duration_.Collect());
  out.push_back(std::move(duration));
  return out;
}

}  // namespace hakmem::daemon
