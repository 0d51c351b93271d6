// See bpf_probes.h.
#include "bpf_probes.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <map>
#include <mutex>
#include <tuple>

#include "bpf_preflight.h"
#include "log.h"
#include "memsys.skel.h"
#include "reader/process_liveness.h"

namespace hakmem::daemon {

namespace {

// libbpf reports through one global print callback. While probes load, its lines are kept
// (the reason of a refusal is in them) and the last warning goes into the log line; at other
// times they go to the debug log.
std::mutex g_libbpf_mu;
std::string* g_libbpf_capture = nullptr;

int libbpf_print(enum libbpf_print_level level, const char* format, va_list args) {
  char buf[1024];
  int n = vsnprintf(buf, sizeof buf, format, args);
  std::string line(buf, n < 0 ? 0 : std::min<size_t>(n, sizeof buf - 1));
  while (!line.empty() && line.back() == '\n') line.pop_back();
  std::lock_guard lock(g_libbpf_mu);
  if (g_libbpf_capture) {
    if (level != LIBBPF_DEBUG) *g_libbpf_capture += line + "\n";
  } else if (level != LIBBPF_DEBUG) {
    log_debug("libbpf: " + line);
  }
  return 0;
}

class CaptureLibbpf {
 public:
  CaptureLibbpf() {
    std::lock_guard lock(g_libbpf_mu);
    libbpf_set_print(libbpf_print);
    g_libbpf_capture = &text_;
  }
  ~CaptureLibbpf() {
    std::lock_guard lock(g_libbpf_mu);
    g_libbpf_capture = nullptr;
  }
  // The first line that says what failed: libbpf prints the cause before its summary lines.
  std::string cause() const {
    std::lock_guard lock(g_libbpf_mu);
    size_t start = 0;
    std::string first;
    while (start < text_.size()) {
      size_t end = text_.find('\n', start);
      std::string line = text_.substr(start, end - start);
      if (first.empty() && !line.empty()) first = line;
      if (line.find("failed") != std::string::npos || line.find("error") != std::string::npos)
        return line;
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return first;
  }
  bool mentions(const char* what) const {
    std::lock_guard lock(g_libbpf_mu);
    return text_.find(what) != std::string::npos;
  }

 private:
  std::string text_;
};

// Since 5.11 BPF memory is charged to the cgroup, not RLIMIT_MEMLOCK; older kernels need the
// limit raised. A limit that cannot be raised is not fatal: on a memcg kernel it does not
// matter, and on an older one the map creation says so.
void raise_memlock() {
  rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
  if (setrlimit(RLIMIT_MEMLOCK, &unlimited) != 0)
    log_debug(std::string("RLIMIT_MEMLOCK not raised (") + strerror(errno) +
              "); kernels since 5.11 charge BPF memory to the cgroup instead");
}

BpfStatus load_failure(int err, const CaptureLibbpf& libbpf) {
  std::string cause = libbpf.cause();
  std::string detail = cause.empty() ? strerror(-err) : cause;
  if (err == -EPERM || err == -EACCES)
    return {BpfReason::kNoPermission,
            "eBPF probes not loaded: the kernel refused (" + detail +
                "); hakmemd needs root or CAP_BPF + CAP_PERFMON, and a seccomp filter or LSM "
                "must allow bpf()"};
  // libbpf 1.x: "map 'NAME': failed to create: ..." before any program is loaded.
  if (libbpf.mentions("': failed to create"))
    return {BpfReason::kMapCreate,
            "eBPF probes not loaded: a map could not be created (" + detail +
                "); check the memory cgroup's limit or RLIMIT_MEMLOCK"};
  return {BpfReason::kVerifier,
          "eBPF probes not loaded: the verifier refused a program (" + detail +
              "); run with \"log_level\": \"debug\" for libbpf's log and report this kernel"};
}

int possible_cpus() {
  static const int n = libbpf_num_possible_cpus();
  return n > 0 ? n : 1;
}

// A per-CPU value summed over the CPUs: every field of Value is a uint64_t counter.
template <typename Value>
struct PerCpuSum {
  static_assert(sizeof(Value) % sizeof(uint64_t) == 0);
  std::vector<Value> cpus = std::vector<Value>(possible_cpus());
  Value sum() const {
    Value out{};
    auto* o = reinterpret_cast<uint64_t*>(&out);
    for (const Value& v : cpus) {
      const auto* f = reinterpret_cast<const uint64_t*>(&v);
      for (size_t i = 0; i < sizeof(Value) / sizeof(uint64_t); ++i) o[i] += f[i];
    }
    return out;
  }
};

template <typename Key, typename Value, typename Fn>
void for_each_entry(int fd, uint32_t max_entries, Fn&& fn) {
  // A key deleted meanwhile (the sweep) makes get_next_key start over from the first key;
  // `seen` keeps each entry once and the bound keeps the walk finite.
  std::set<std::vector<char>> seen;
  Key key{}, next{};
  bool first = true;
  for (uint64_t steps = 0; steps < 2ull * max_entries + 2; ++steps) {
    if (bpf_map_get_next_key(fd, first ? nullptr : &key, &next) != 0) break;
    first = false;
    key = next;
    std::vector<char> raw(reinterpret_cast<const char*>(&next),
                          reinterpret_cast<const char*>(&next) + sizeof next);
    if (!seen.insert(std::move(raw)).second) continue;
    if constexpr (requires(Value v) { v.cpus; }) {
      Value v;
      if (bpf_map_lookup_elem(fd, &next, v.cpus.data()) == 0) fn(next, v.sum());
    } else {
      Value v{};
      if (bpf_map_lookup_elem(fd, &next, &v) == 0) fn(next, v);
    }
  }
}

}  // namespace

uint64_t bpf_start_ticks(uint64_t start_ns) {
  static const uint64_t ns_per_tick = 1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  return start_ns / ns_per_tick;
}

bool bpf_process_is(int pid, uint64_t start_ns) {
  std::optional<uint64_t> ticks = reader::process_start_ticks(pid);
  return ticks && *ticks == bpf_start_ticks(start_ns);
}

std::unique_ptr<BpfProbes> BpfProbes::load(BpfMode mode, BpfStatus* status) {
  if (auto failed = bpf_preflight()) {
    *status = *failed;
    return nullptr;
  }
  raise_memlock();
  CaptureLibbpf libbpf;
  memsys* skel = memsys__open();
  if (!skel) {
    *status = load_failure(-errno, libbpf);
    return nullptr;
  }
  int err = memsys__load(skel);
  if (err) {
    *status = load_failure(err, libbpf);
    memsys__destroy(skel);
    return nullptr;
  }
  skel->bss->trace_all = mode == BpfMode::kAll ? 1 : 0;
  err = memsys__attach(skel);
  if (err) {
    std::string cause = libbpf.cause();
    *status = {BpfReason::kAttach, "eBPF probes not attached: " +
                                       (cause.empty() ? std::string(strerror(-err)) : cause) +
                                       "; check that tracefs shows events/syscalls"};
    memsys__destroy(skel);
    return nullptr;
  }
  int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (stats_fd < 0)
    log_warn(std::string("eBPF program statistics unavailable (BPF_ENABLE_STATS: ") +
             strerror(errno) + "); hakmemd_bpf_prog_* are not served");
  *status = {BpfReason::kOk, ""};
  return std::unique_ptr<BpfProbes>(new BpfProbes(skel, stats_fd));
}

void BpfProbes::attach_as_needed() {
  bool want = all() || any_segment_;
  if (!want) {
    std::lock_guard lock(tracked_mu_);
    want = !tracked_.empty();
  }
  if (want == attached()) return;
  if (!want) {
    memsys__detach(skel_);
    attached_.store(false, std::memory_order_relaxed);
    log_debug("eBPF programs detached: no process to trace (the host's syscalls run the fast path)");
    return;
  }
  CaptureLibbpf libbpf;
  int err = memsys__attach(skel_);
  if (err) {
    memsys__detach(skel_);  // the links that did attach
    if (!attach_warned_)
      log_warn("eBPF programs could not be attached again (" + libbpf.cause() + "); retrying");
    attach_warned_ = true;
    return;
  }
  attach_warned_ = false;
  attached_.store(true, std::memory_order_relaxed);
  log_debug("eBPF programs attached");
}

BpfProbes::BpfProbes(memsys* skeleton, int stats_fd) : skel_(skeleton), stats_fd_(stats_fd) {}

bool BpfProbes::all() const {
  return __atomic_load_n(&skel_->bss->trace_all, __ATOMIC_RELAXED) != 0;
}

BpfProbes::~BpfProbes() {
  memsys__destroy(skel_);
  if (stats_fd_ >= 0) close(stats_fd_);
}

void BpfProbes::set_mode(BpfMode mode) {
  __atomic_store_n(&skel_->bss->trace_all, mode == BpfMode::kAll ? 1u : 0u, __ATOMIC_RELAXED);
  attach_as_needed();
}

bool BpfProbes::counts(int pid) const {
  if (!attached()) return false;
  if (all()) return true;
  std::lock_guard lock(tracked_mu_);
  return tracked_.count(pid) != 0;
}

void BpfProbes::track(const std::set<int>& pids, bool any_segment) {
  sync_filter(pids);
  any_segment_ = any_segment;
  attach_as_needed();
}

void BpfProbes::sync_filter(const std::set<int>& pids) {
  std::lock_guard lock(tracked_mu_);
  int fd = bpf_map__fd(skel_->maps.tracked);
  for (auto it = tracked_.begin(); it != tracked_.end();) {
    if (pids.count(*it)) {
      ++it;
      continue;
    }
    uint32_t key = static_cast<uint32_t>(*it);
    bpf_map_delete_elem(fd, &key);
    it = tracked_.erase(it);
  }
  for (int pid : pids) {
    if (tracked_.count(pid)) continue;
    uint32_t key = static_cast<uint32_t>(pid);
    uint8_t present = 1;
    if (bpf_map_update_elem(fd, &key, &present, BPF_ANY) == 0)
      tracked_.insert(pid);
    else
      tracked_full_.fetch_add(1, std::memory_order_relaxed);  // E2BIG: retried next tick
  }
}

size_t BpfProbes::sweep() {
  std::map<std::pair<uint32_t, uint64_t>, bool> alive;
  auto is_alive = [&](uint32_t tgid, uint64_t start_ns) {
    auto [it, fresh] = alive.try_emplace({tgid, start_ns}, false);
    if (fresh) it->second = bpf_process_is(static_cast<int>(tgid), start_ns);
    return it->second;
  };
  int counts_fd = bpf_map__fd(skel_->maps.counts);
  std::vector<hak_bpf_key> dead_counts;
  for_each_entry<hak_bpf_key, PerCpuSum<hak_bpf_counts>>(
      counts_fd, HAK_BPF_COUNTS_MAX, [&](const hak_bpf_key& k, const hak_bpf_counts&) {
        if (!is_alive(k.tgid, k.start_ns)) dead_counts.push_back(k);
      });
  for (const hak_bpf_key& k : dead_counts) bpf_map_delete_elem(counts_fd, &k);

  int errors_fd = bpf_map__fd(skel_->maps.errors);
  std::vector<hak_bpf_error_key> dead_errors;
  for_each_entry<hak_bpf_error_key, uint64_t>(
      errors_fd, HAK_BPF_ERRORS_MAX, [&](const hak_bpf_error_key& k, uint64_t) {
        if (!is_alive(k.tgid, k.start_ns)) dead_errors.push_back(k);
      });
  for (const hak_bpf_error_key& k : dead_errors) bpf_map_delete_elem(errors_fd, &k);

  size_t forgotten = 0;
  for (const auto& [key, live] : alive) forgotten += live ? 0 : 1;
  return forgotten;
}

BpfReading BpfProbes::read() const {
  BpfReading r;
  for_each_entry<hak_bpf_key, PerCpuSum<hak_bpf_counts>>(
      bpf_map__fd(skel_->maps.counts), HAK_BPF_COUNTS_MAX,
      [&](const hak_bpf_key& k, const hak_bpf_counts& c) {
        if (k.syscall >= HAK_BPF_SYSCALL_COUNT) return;
        r.counts.push_back({static_cast<int>(k.tgid), k.start_ns, k.syscall, c});
      });
  for_each_entry<hak_bpf_error_key, uint64_t>(
      bpf_map__fd(skel_->maps.errors), HAK_BPF_ERRORS_MAX,
      [&](const hak_bpf_error_key& k, uint64_t n) {
        if (k.syscall >= HAK_BPF_SYSCALL_COUNT) return;
        r.errors.push_back({static_cast<int>(k.tgid), k.start_ns, k.syscall, k.error, n});
      });
  for (size_t i = 0; i < HAK_BPF_FULL_COUNT; ++i)
    r.full[i] = __atomic_load_n(&skel_->bss->hak_bpf_full[i], __ATOMIC_RELAXED);
  r.full[kBpfFullTracked] = tracked_full_.load(std::memory_order_relaxed);
  r.program_stats = stats_fd_ >= 0;
  r.attached = attached();
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel_->obj) {
    bpf_prog_info info{};
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) != 0) continue;
    r.programs.push_back({bpf_program__name(prog), info.run_time_ns, info.run_cnt});
  }
  return r;
}

}  // namespace hakmem::daemon
