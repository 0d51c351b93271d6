// The hakmem_bpf_* and hakmemd_bpf_* families (README, hakmemd, "eBPF"): at each scrape, the
// probes' maps read afresh, per process and syscall, for the processes that still run (an
// entry whose pid now names another process, or none, is skipped until the sweep removes
// it). Every family is served at every scrape, empty when the probes are not loaded, so the
// exposition has one shape; hakmem_bpf_up says whether, and why not.
//
// Thread-safety: Collect() runs on the HTTP threads, several at once; it shares only the
// BpfService, which is thread-safe.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <memory>
#include <vector>

#include "bpf_probes.h"
#include "bpf_service.h"

namespace hakmem::daemon {

class BpfCollector : public prometheus::Collectable {
 public:
  explicit BpfCollector(std::shared_ptr<const BpfService> service);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::shared_ptr<const BpfService> service_;
};

// The families of one reading (nullptr: the probes are not loaded), for tests.
std::vector<prometheus::MetricFamily> bpf_families(BpfMode mode, const BpfStatus& status,
                                                   const BpfReading* reading);

}  // namespace hakmem::daemon
