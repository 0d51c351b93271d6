// See aggregates.h.
#include "aggregates.h"

#include <unistd.h>

#include <algorithm>
#include <optional>
#include <set>

#include "reader/names.h"
#include "reader/process_liveness.h"
#include "reader/segment_file.h"
#include "reader/segment_reader.h"

namespace hakmem::daemon {

namespace {

reader::Snapshot empty_sums(const std::string& comm) {
  reader::Snapshot s;
  s.comm = comm;
  s.classes.resize(reader::kNumClasses);
  for (unsigned c = 0; c < reader::kNumClasses; ++c) s.classes[c].index = c;
  s.locks.assign(reader::kNumLocks, hak_seg_lock{});
  return s;
}

void add_gauges(CommTotals& t, const reader::Snapshot& p) {
  hak_seg_process& into = t.sums.process;
  into.mapped_bytes += p.process.mapped_bytes;
  into.resident_bytes += p.process.resident_bytes;
  into.large_live_bytes += p.process.large_live_bytes;
  into.span_cache_bytes += p.process.span_cache_bytes;
  for (unsigned i = 0; i < reader::kNumSuperslabStates; ++i) into.superslabs[i] += p.process.superslabs[i];
  t.sums.has_resident = t.sums.has_resident || p.has_resident;
  for (size_t c = 0; c < p.classes.size() && c < t.sums.classes.size(); ++c) {
    t.sums.classes[c].slabs_in_use += p.classes[c].slabs_in_use;
    // In blocks, turned into bytes with the comm's class size (its first process's).
    t.sums.classes[c].cache_capacity += p.classes[c].cache_capacity;
    t.live_bytes[c] += p.classes[c].live_bytes();
  }
}

// The segment file of `pid` as a descriptor of its own (checked as the reader checks files,
// owned by the process; of any size, since a new one is empty until its writer sizes it), or -1.
int open_segment(const std::string& dir, int pid) {
  reader::FileCheckOptions checks;
  checks.any_size = true;
  checks.owner = reader::process_uid(pid);
  if (!checks.owner) return -1;
  reader::OpenResult o = reader::open_segment_file(dir + "/" + reader::segment_file_name(pid), checks);
  return o.ok() ? dup(o.file.fd()) : -1;
}

bool same_segment(const reader::Snapshot& a, const reader::Snapshot& b) {
  return a.pid == b.pid && a.start_time_ticks == b.start_time_ticks && a.created_ns == b.created_ns;
}

}  // namespace

void add_counters(reader::Snapshot& into, const reader::Snapshot& from) {
  for (size_t c = 0; c < from.classes.size() && c < into.classes.size(); ++c) {
    hak_seg_class_counters& a = into.classes[c].counters;
    const hak_seg_class_counters& b = from.classes[c].counters;
#define HAKMEMD_X_ADD(field) a.field += b.field;
    HAK_SEG_CLASS_COUNTERS(HAKMEMD_X_ADD)
#undef HAKMEMD_X_ADD
    for (unsigned p = 0; p < reader::kNumPaths; ++p) {
      a.refills[p] += b.refills[p];
      a.refill_objects[p] += b.refill_objects[p];
    }
    for (unsigned d = 0; d < reader::kNumCacheResizes; ++d) into.classes[c].cache_resizes[d] += from.classes[c].cache_resizes[d];
    if (into.classes[c].size == 0) into.classes[c].size = from.classes[c].size;
  }
  // Kept by the folded totals too, so a comm's resize and span cache counters outlive its
  // last minor-5 process instead of vanishing with it.
  into.has_cache_stats = into.has_cache_stats || from.has_cache_stats;
  into.has_reclaim = into.has_reclaim || from.has_reclaim;
  for (size_t i = 0; i < from.locks.size() && i < into.locks.size(); ++i) {
    hak_seg_lock& a = into.locks[i];
    const hak_seg_lock& b = from.locks[i];
    a.acquisitions += b.acquisitions;
    a.contended += b.contended;
    a.wait_ns_total += b.wait_ns_total;
    a.hold_ns_total += b.hold_ns_total;
    a.wait_ns_max = std::max(a.wait_ns_max, b.wait_ns_max);
  }
  hak_seg_process& a = into.process;
  const hak_seg_process& b = from.process;
  for (unsigned i = 0; i < reader::kNumPoolStages; ++i) a.pool_acquires[i] += b.pool_acquires[i];
  for (unsigned i = 0; i < reader::kNumPoolReleaseKinds; ++i) a.pool_releases[i] += b.pool_releases[i];
  for (unsigned i = 0; i < reader::kNumOsCalls; ++i) {
    a.os_calls[i] += b.os_calls[i];
    a.os_bytes[i] += b.os_bytes[i];
  }
  a.large_allocs += b.large_allocs;
  a.large_frees += b.large_frees;
  a.threads_started += b.threads_started;
  a.threads_exited += b.threads_exited;
  for (unsigned i = 0; i < reader::kNumSpanCacheEvents; ++i) a.span_cache_events[i] += b.span_cache_events[i];
}

Aggregates::~Aggregates() {
  for (auto& [pid, t] : tracked_)
    if (t.fd >= 0) close(t.fd);
}

void Aggregates::fold_locked(Tracked& t) {
  if (t.read()) {
    Folded& f = folded_[t.last.comm];
    if (f.sums.classes.empty()) f.sums = empty_sums(t.last.comm);
    add_counters(f.sums, t.last);
    ++f.exited;
  }
  if (t.fd >= 0) close(t.fd);
  t.fd = -1;
}

void Aggregates::appeared(int pid, const std::string& segment_dir) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = tracked_.find(pid);
  if (it != tracked_.end()) {
    if (it->second.fd >= 0 || it->second.read()) return;  // known; a new file is seen at the scrape
    tracked_.erase(it);
  }
  int fd = open_segment(segment_dir, pid);
  if (fd < 0) return;  // gone already, or not the process's: the scrape judges it
  Tracked t;
  t.fd = fd;
  tracked_.emplace(pid, std::move(t));
}

std::vector<CommTotals> Aggregates::update(const std::vector<reader::Snapshot>& exported,
                                           const std::string& segment_dir) {
  std::lock_guard<std::mutex> g(mu_);
  // A good reading through the kept descriptor, if it is still the segment it was.
  auto reread = [](int pid, Tracked& t) {
    if (t.fd < 0) return;
    reader::ReadOptions ro;
    ro.expected_pid = pid;
    reader::ReadResult r = reader::read_segment_fd(t.fd, ro);
    if (!r.ok() || (t.read() && (!same_segment(r.snapshot, t.last) || r.snapshot.taken_ns < t.last.taken_ns))) return;
    t.last = std::move(r.snapshot);
  };
  std::set<int> seen;
  for (const reader::Snapshot& p : exported) {
    auto it = tracked_.find(p.pid);
    if (it != tracked_.end()) {
      Tracked& t = it->second;
      if (!t.read()) reread(p.pid, t);  // opened when it appeared: which segment is it?
      if (t.read() && !same_segment(t.last, p)) {
        // Another segment under the pid (an exec's, or a reused pid): the old one is final.
        reread(p.pid, t);
        fold_locked(t);
        tracked_.erase(it);
        it = tracked_.end();
      }
    }
    if (it == tracked_.end()) {
      Tracked t;
      t.fd = open_segment(segment_dir, p.pid);
      it = tracked_.emplace(p.pid, std::move(t)).first;
    }
    // Scrapes may overlap: an older reading never replaces a newer one, so no total goes back.
    if (!it->second.read() || p.taken_ns >= it->second.last.taken_ns) it->second.last = p;
    seen.insert(p.pid);
  }
  // Not exported now (exiting, killed, filtered out, or not judged yet): read through the
  // kept descriptor until the kernel shows the process gone, then fold that final reading.
  for (auto it = tracked_.begin(); it != tracked_.end();) {
    Tracked& t = it->second;
    if (seen.count(it->first) != 0) {
      ++it;
      continue;
    }
    reread(it->first, t);
    bool gone = false;
    std::optional<uint64_t> start = reader::process_start_ticks(it->first, &gone);
    if (gone || (start && t.read() && *start != t.last.start_time_ticks)) {
      fold_locked(t);
      it = tracked_.erase(it);
    } else {
      ++it;
    }
  }

  std::map<std::string, CommTotals> by_comm;
  auto totals = [&by_comm](const std::string& comm) -> CommTotals& {
    CommTotals& t = by_comm[comm];
    if (t.sums.classes.empty()) {
      t.comm = comm;
      t.sums = empty_sums(comm);
      t.live_bytes.assign(reader::kNumClasses, 0);
    }
    return t;
  };
  for (const auto& [comm, f] : folded_) {
    CommTotals& t = totals(comm);
    add_counters(t.sums, f.sums);
    t.exited = f.exited;
  }
  for (const auto& [pid, tr] : tracked_) {
    if (!tr.read()) continue;  // not published yet: nothing to count
    CommTotals& t = totals(tr.last.comm);
    add_counters(t.sums, tr.last);
    add_gauges(t, tr.last);
    ++t.processes;
  }
  std::vector<CommTotals> out;
  out.reserve(by_comm.size());
  for (auto& [comm, t] : by_comm) out.push_back(std::move(t));
  return out;
}

}  // namespace hakmem::daemon
