// The eBPF probes as the daemon runs them: the configured mode, the status (up, or why not)
// and the loaded probes, shared between the loop thread, which applies the config, keeps the
// filter and sweeps, and the scrape threads, which read.
//
// apply() loads when a mode other than off is asked and nothing is loaded (a failed load is
// retried at the next SIGHUP), switches tracked <-> all in place (the maps and their counts
// stay), and unloads on off. Each failure is logged once, with its cause and fix, until the
// reason changes.
//
// Thread-safety: every member may be called from any thread; the probes are shared by
// pointer, so a scrape that reads them keeps them alive across a concurrent unload.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include "bpf_crosscheck.h"
#include "bpf_probes.h"
#include "bpf_status.h"
#include "config.h"

namespace hakmem::daemon {

class BpfService {
 public:
  BpfService();
  ~BpfService();

  void apply(BpfMode mode);
  // The filter becomes `tracked`; counts of processes that are gone are removed;
  // any_segment keeps the programs attached in mode tracked (BpfProbes).
  void tick(const std::set<int>& tracked, bool any_segment);
  void stop();  // unloads: nothing of ours stays attached

  BpfMode mode() const;
  BpfStatus status() const;
  // What the probes counted; nullopt when they are not loaded.
  std::optional<BpfReading> read() const;
  // The cross-check of `kernel` (read first) with the allocator's `processes` (read after).
  std::vector<Unattributed> cross_check(const BpfReading& kernel,
                                        const std::vector<reader::Snapshot>& processes);

 private:
  mutable std::mutex mu_;
  BpfMode mode_ = BpfMode::kOff;
  BpfStatus status_;
  std::shared_ptr<BpfProbes> probes_;
  CrossCheck cross_check_;  // cleared whenever probes are loaded anew
};

// Whether this hakmemd was built with the probes (-DHAKMEM_BPF=ON, the default).
bool bpf_built();

}  // namespace hakmem::daemon
