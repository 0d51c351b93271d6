// The hakmem_bpf_* and hakmemd_bpf_* families (README, hakmemd, "eBPF"), from one reading of
// the probes' maps: per process and syscall, for the processes that still run (an entry
// whose pid now names another process, or none, is skipped until the sweep removes it), and
// the cross-check's unattributed calls and bytes. Every family is served at every scrape,
// empty when the probes are not loaded, so the exposition has one shape; hakmem_bpf_up says
// whether, and why not. Collector::Collect() serves them with the segments' families.
#pragma once

#include <prometheus/metric_family.h>

#include <vector>

#include "bpf_crosscheck.h"
#include "bpf_probes.h"
#include "bpf_status.h"
#include "config.h"

namespace hakmem::daemon {

// reading: nullptr when the probes are not loaded.
std::vector<prometheus::MetricFamily> bpf_families(BpfMode mode, const BpfStatus& status,
                                                   const BpfReading* reading,
                                                   const std::vector<Unattributed>& unattributed);

}  // namespace hakmem::daemon
