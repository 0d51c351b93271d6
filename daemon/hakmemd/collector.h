// The /metrics collectable: at each scrape it asks the Monitor to read every known segment
// afresh and turns the accepted ones into the hakmem_* families of HAK_METRIC_FAMILIES
// (hakmem/stats_names.h; DESIGN.md's "Metric names" but hakmem_bpf_*), followed by the
// eBPF families (bpf_families.h; the kernel's counts are read before the segments, as the
// cross-check needs) and the daemon's own hakmemd_* families.
//
// Labels: every hakmem_* series has pid and comm; per class also class (index) and size
// (bytes), and path / lock / stage / kind / state / syscall where the family says so. Only
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

#include <memory>
#include <vector>

#include "bpf_service.h"
#include "monitor.h"
#include "reader/snapshot.h"

namespace hakmem::daemon {

class Collector : public prometheus::Collectable {
 public:
  Collector(std::shared_ptr<Monitor> monitor, std::shared_ptr<BpfService> bpf);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::shared_ptr<Monitor> monitor_;
  std::shared_ptr<BpfService> bpf_;
  mutable prometheus::Histogram scrape_duration_;
};

// The hakmem_* families of `processes` (exposed for tests and the benchmark).
std::vector<prometheus::MetricFamily> process_families(const std::vector<reader::Snapshot>& processes);

}  // namespace hakmem::daemon
