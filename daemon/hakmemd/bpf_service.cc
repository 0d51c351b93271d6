// See bpf_service.h. Built with the probes (HAKMEMD_HAVE_BPF) or without (-DHAKMEM_BPF=OFF):
// then every mode but off reports not_built and nothing else changes.
#include "bpf_service.h"

#include <string>

#include "bpf_probes.h"
#include "log.h"

namespace hakmem::daemon {

#if HAKMEMD_HAVE_BPF
bool bpf_built() { return true; }
#else
bool bpf_built() { return false; }
#endif

BpfService::BpfService() = default;
BpfService::~BpfService() = default;

void BpfService::apply(BpfMode mode) {
  std::unique_lock lock(mu_);
  BpfMode before = mode_;
  mode_ = mode;
  if (mode == BpfMode::kOff) {
    bool had = probes_ != nullptr;
    probes_.reset();
    status_ = {BpfReason::kOff, ""};
    if (had) log_info("eBPF probes detached (ebpf: off)");
    return;
  }
#if HAKMEMD_HAVE_BPF
  if (probes_) {
    if (mode != before) {
      probes_->set_mode(mode);
      log_info("eBPF probes now count " +
               std::string(mode == BpfMode::kAll ? "every process" : "the tracked processes") +
               " (ebpf: " + std::string(bpf_mode_name(mode)) + "); counts kept");
    }
    return;
  }
  BpfStatus next;
  std::unique_ptr<BpfProbes> loaded = BpfProbes::load(mode, &next);
  if (loaded) {
    probes_ = std::move(loaded);
    cross_check_.clear();
    log_info("eBPF probes attached to the syscalls tracepoints of mmap, munmap, mremap, "
             "madvise and brk (ebpf: " + std::string(bpf_mode_name(mode)) + ")");
  } else if (next.reason != status_.reason || next.message != status_.message) {
    log_warn(next.message);
  }
  status_ = next;
#else
  (void)before;
  if (status_.reason != BpfReason::kNotBuilt)
    log_warn("eBPF probes not loaded: this hakmemd was built with -DHAKMEM_BPF=OFF; rebuild "
             "with the default (needs clang, bpftool, libbpf-dev) or set \"ebpf\": \"off\"");
  status_ = {BpfReason::kNotBuilt, "built with -DHAKMEM_BPF=OFF"};
#endif
}

void BpfService::tick(const std::set<int>& tracked, bool any_segment) {
#if HAKMEMD_HAVE_BPF
  std::shared_ptr<BpfProbes> p;
  {
    std::lock_guard lock(mu_);
    p = probes_;
  }
  if (!p) return;
  p->track(tracked, any_segment);
  size_t forgotten = p->sweep();
  if (forgotten) log_debug("eBPF: forgot the counts of " + std::to_string(forgotten) +
                           " processes that are gone");
#else
  (void)tracked;
  (void)any_segment;
#endif
}

void BpfService::stop() {
  std::lock_guard lock(mu_);
  if (probes_) log_info("eBPF probes detached");
  probes_.reset();
}

BpfMode BpfService::mode() const {
  std::lock_guard lock(mu_);
  return mode_;
}

BpfStatus BpfService::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

std::vector<Unattributed> BpfService::cross_check(const BpfReading& kernel,
                                                  const std::vector<reader::Snapshot>& processes) {
#if HAKMEMD_HAVE_BPF
  std::shared_ptr<BpfProbes> p;
  {
    std::lock_guard lock(mu_);
    p = probes_;
  }
  if (!p) return {};
  return cross_check_.update(kernel, processes, [&](int pid) { return p->counts(pid); });
#else
  (void)kernel;
  (void)processes;
  return {};
#endif
}

std::optional<BpfReading> BpfService::read() const {
#if HAKMEMD_HAVE_BPF
  std::shared_ptr<BpfProbes> p;
  {
    std::lock_guard lock(mu_);
    p = probes_;
  }
  if (!p) return std::nullopt;
  return p->read();
#else
  return std::nullopt;
#endif
}

}  // namespace hakmem::daemon
