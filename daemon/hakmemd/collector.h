// The /metrics collectable: at each scrape it asks the Monitor to read every known segment
// afresh and turns the accepted ones into the hakmem_* families of HAK_METRIC_FAMILIES
// (hakmem/stats_names.h; DESIGN.md's "Metric names" but hakmem_bpf_*), followed by the
// eBPF families (bpf_families.h; the kernel's counts are read before the segments, as the
// cross-check needs) and the daemon's own hakmemd_* families.
//
// Labels: every hakmem_* series has pid and comm; per class also class (index) and size
// (bytes), and path / lock / stage / kind / state / syscall / event / direction where the family
// says so. Only
// classes a process has used get series, and of those only the refill paths that supplied
// objects (hakmem_refills_total and hakmem_refill_objects_total; absent means 0). Values are
// the segment's counters converted to base units (nanoseconds -> seconds).
//
// Thread-safety: Collect() runs on the HTTP server's threads, several at once; it shares
// nothing but the Monitor (thread-safe) and the scrape-duration histogram (prometheus-cpp's
// Histogram is thread-safe).
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>

#include <atomic>
#include <memory>
#include <vector>

#include "aggregates.h"
#include "bpf_service.h"
#include "config.h"
#include "monitor.h"
#include "reader/snapshot.h"

namespace hakmem::daemon {

class Collector : public prometheus::Collectable {
 public:
  Collector(std::shared_ptr<Monitor> monitor, std::shared_ptr<BpfService> bpf);
  std::vector<prometheus::MetricFamily> Collect() const override;
  // hakmemd.json "export": per-process families, per-comm aggregates, or both (a reload
  // may change it; the aggregates keep their totals meanwhile).
  void set_export(ExportMode m) { export_.store(m, std::memory_order_relaxed); }
  // inotify: a segment file of `pid` appeared. With aggregates on, it is kept open from now,
  // so that a process that exits before the next scrape still counts (aggregates.h).
  void segment_appeared(int pid);

 private:
  std::shared_ptr<Monitor> monitor_;
  std::shared_ptr<BpfService> bpf_;
  std::atomic<ExportMode> export_{ExportMode::kProcesses};
  mutable Aggregates aggregates_;
  mutable prometheus::Histogram scrape_duration_;
};

// The hakmem_* families of `processes` (exposed for tests and the benchmark).
std::vector<prometheus::MetricFamily> process_families(const std::vector<reader::Snapshot>& processes);
// The hakmem_comm_* families of per-comm totals: hakmem_comm_processes, _processes_exited_total,
// then every family of HAK_METRIC_FAMILIES but the per-process ones (info, settings,
// stopped, the peak_* footprint), renamed hakmem_X -> hakmem_comm_X, labelled by comm instead
// of pid and comm.
std::vector<prometheus::MetricFamily> comm_families(const std::vector<CommTotals>& comms);

}  // namespace hakmem::daemon
