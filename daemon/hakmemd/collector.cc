// See collector.h. Each family is declared once in build order; per process, one pass fills
// all of them.
#include "collector.h"

#include <chrono>
#include <string>

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

double d(uint64_t v) { return static_cast<double>(v); }

}  // namespace

std::vector<MetricFamily> process_families(const std::vector<reader::Snapshot>& processes) {
  const auto C = MetricType::Counter;
  const auto G = MetricType::Gauge;
  std::vector<MetricFamily> f;
  f.reserve(26);
  enum {
    kProcessInfo, kConfigInfo, kAllocs, kFrees, kRemoteFrees, kRefills, kRefillObjects,
    kLockAcq, kLockContended, kLockWait, kLockHold, kLockWaitMax, kPoolAcquires, kPoolReleases,
    kSuperslabs, kSlabs, kMapped, kLive, kOsCalls, kOsBytes, kLargeAllocs, kLargeFrees,
    kThreadsStarted, kThreadsExited, kCount
  };
  f.push_back(family("hakmem_process_info", "A HAKMEM process whose telemetry segment is exported (value 1)", G));
  f.push_back(family("hakmem_config_info", "An effective HAKMEM_* setting of a process (value 1)", G));
  f.push_back(family("hakmem_allocs_total", "Allocations served by a size class", C));
  f.push_back(family("hakmem_frees_total", "Frees of blocks of a size class", C));
  f.push_back(family("hakmem_remote_frees_total", "Frees of a size class by a thread other than the block's owner (included in hakmem_frees_total)", C));
  f.push_back(family("hakmem_refills_total", "Thread-cache refills of a size class that drew at least one object from a refill path", C));
  f.push_back(family("hakmem_refill_objects_total", "Objects a refill path supplied to thread caches of a size class", C));
  f.push_back(family("hakmem_lock_acquisitions_total", "Acquisitions of an allocator lock", C));
  f.push_back(family("hakmem_lock_contended_total", "Acquisitions of an allocator lock that had to wait", C));
  f.push_back(family("hakmem_lock_wait_seconds_total", "Time spent waiting for an allocator lock", C));
  f.push_back(family("hakmem_lock_hold_seconds_total", "Time an allocator lock was held", C));
  f.push_back(family("hakmem_lock_wait_seconds_max", "Longest single wait for an allocator lock since the process started", G));
  f.push_back(family("hakmem_pool_acquires_total", "Slabs a heap obtained, by shared-pool stage", C));
  f.push_back(family("hakmem_pool_releases_total", "Releases into the shared pool, by what the release did", C));
  f.push_back(family("hakmem_superslabs", "SuperSlabs by state", G));
  f.push_back(family("hakmem_slabs", "Slabs by size class and state", G));
  f.push_back(family("hakmem_mapped_bytes", "Bytes the allocator has mapped from the OS", G));
  f.push_back(family("hakmem_live_bytes", "Bytes in live blocks, by size class (class=\"large\": page spans); block sizes, from published counts", G));
  f.push_back(family("hakmem_os_calls_total", "The allocator's own memory syscalls", C));
  f.push_back(family("hakmem_os_bytes_total", "Bytes passed to the allocator's own memory syscalls", C));
  f.push_back(family("hakmem_large_allocs_total", "Allocations above the largest size class (page spans)", C));
  f.push_back(family("hakmem_large_frees_total", "Frees of allocations above the largest size class", C));
  f.push_back(family("hakmem_threads_started_total", "Threads that used the allocator", C));
  f.push_back(family("hakmem_threads_exited_total", "Threads that used the allocator and exited", C));
  static_assert(kCount == 24);
  size_t classes = 0;
  for (const reader::Snapshot& p : processes)
    for (const reader::ClassStats& c : p.classes) classes += c.active() ? 1 : 0;
  for (size_t i = kAllocs; i <= kRefillObjects; ++i) f[i].metric.reserve(classes * (i >= kRefills ? 3 : 1));
  f[kSlabs].metric.reserve(classes);
  f[kLive].metric.reserve(classes + processes.size());
  for (size_t i = kLockAcq; i <= kLockWaitMax; ++i) f[i].metric.reserve(processes.size() * HAK_NUM_LOCKS);

  for (const reader::Snapshot& p : processes) {
    const std::vector<ClientMetric::Label> base = {{"pid", std::to_string(p.pid)},
                                                   {"comm", p.comm}};
    add(f[kProcessInfo], base,
        {{"abi_version", std::to_string(p.abi_major) + "." + std::to_string(p.abi_minor)}}, 1);
    for (const reader::Setting& s : p.settings)
      add(f[kConfigInfo], base, {{"key", s.name}, {"value", s.value}}, 1);

    for (const reader::ClassStats& c : p.classes) {
      if (!c.active()) continue;  // series only for classes the process used
      std::vector<ClientMetric::Label> cls = base;
      cls.push_back({"class", std::to_string(c.index)});
      cls.push_back({"size", std::to_string(c.size)});
      const hak_seg_class_counters& k = c.counters;
      add(f[kAllocs], cls, {}, d(k.allocs));
      add(f[kFrees], cls, {}, d(k.frees));
      add(f[kRemoteFrees], cls, {}, d(k.remote_frees));
      for (unsigned i = 0; i < HAK_NUM_PATHS; ++i) {
        // A path's series appear once it has supplied an object: most classes draw from two
        // or three of the seven, and the zeros would be half of all series at scale.
        if (k.refills[i] == 0 && k.refill_objects[i] == 0) continue;
        add(f[kRefills], cls, {{"path", std::string(kPathNames[i])}}, d(k.refills[i]));
        add(f[kRefillObjects], cls, {{"path", std::string(kPathNames[i])}}, d(k.refill_objects[i]));
      }
      add(f[kSlabs], cls, {{"state", "in_use"}}, d(c.slabs_in_use));
      add(f[kLive], cls, {}, d(c.live_bytes()));
    }
    add(f[kLive], base, {{"class", "large"}}, d(p.process.large_live_bytes));

    for (size_t i = 0; i < p.locks.size() && i < HAK_NUM_LOCKS; ++i) {
      const hak_seg_lock& l = p.locks[i];
      std::initializer_list<ClientMetric::Label> lock = {{"lock", std::string(kLockNames[i])}};
      add(f[kLockAcq], base, lock, d(l.acquisitions));
      add(f[kLockContended], base, lock, d(l.contended));
      add(f[kLockWait], base, lock, d(l.wait_ns_total) / kNsPerSecond);
      add(f[kLockHold], base, lock, d(l.hold_ns_total) / kNsPerSecond);
      add(f[kLockWaitMax], base, lock, d(l.wait_ns_max) / kNsPerSecond);
    }
    const hak_seg_process& pr = p.process;
    for (unsigned i = 0; i < HAK_NUM_POOL_STAGES; ++i)
      add(f[kPoolAcquires], base, {{"stage", std::string(kPoolStageNames[i])}}, d(pr.pool_acquires[i]));
    for (unsigned i = 0; i < HAK_NUM_POOL_RELEASE_KINDS; ++i)
      add(f[kPoolReleases], base, {{"kind", std::string(kPoolReleaseNames[i])}}, d(pr.pool_releases[i]));
    for (unsigned i = 0; i < HAK_NUM_SUPERSLAB_STATES; ++i)
      add(f[kSuperslabs], base, {{"state", std::string(kSuperslabStateNames[i])}}, d(pr.superslabs[i]));
    add(f[kMapped], base, {}, d(pr.mapped_bytes));
    for (unsigned i = 0; i < HAK_NUM_OS_CALLS; ++i) {
      add(f[kOsCalls], base, {{"syscall", std::string(kOsCallNames[i])}}, d(pr.os_calls[i]));
      add(f[kOsBytes], base, {{"syscall", std::string(kOsCallNames[i])}}, d(pr.os_bytes[i]));
    }
    add(f[kLargeAllocs], base, {}, d(pr.large_allocs));
    add(f[kLargeFrees], base, {}, d(pr.large_frees));
    add(f[kThreadsStarted], base, {}, d(pr.threads_started));
    add(f[kThreadsExited], base, {}, d(pr.threads_exited));
  }
  return f;
}

Collector::Collector(std::shared_ptr<Monitor> monitor)
    : monitor_(std::move(monitor)),
      scrape_duration_(prometheus::Histogram::BucketBoundaries{
          0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}) {}

std::vector<MetricFamily> Collector::Collect() const {
  auto start = std::chrono::steady_clock::now();
  SelfStats self;
  std::vector<reader::Snapshot> processes = monitor_->scrape(&self);
  std::vector<MetricFamily> out = process_families(processes);

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
