// See monitor.h.
#include "monitor.h"

#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "log.h"
#include "reader/segment_file.h"

namespace hakmem::daemon {

namespace {

using reader::Verdict;

// Every check the daemon makes before a value of a segment is exported (README, "Every scrape
// reads every segment afresh"): the process before the file, the file's owner that of
// /proc/<pid>, and only segments of running processes flagged active.
constexpr reader::JudgeOptions kDaemonChecks{
    .process_first = true, .owner_with_file = true, .require_active = true};

}  // namespace

Monitor::Monitor() = default;

std::shared_ptr<const SegmentDir> Monitor::directory() const {
  std::lock_guard lock(mu_);
  return dir_;
}

void Monitor::set_directory(std::shared_ptr<const SegmentDir> dir) {
  {
    std::lock_guard lock(mu_);
    dir_ = std::move(dir);
    entries_.clear();
  }
  rescan();
}

void Monitor::configure(MonitorSettings s) {
  std::lock_guard lock(mu_);
  settings_ = std::move(s);
  for (auto& [pid, e] : entries_) e.limit_logged = false;
}

void Monitor::add(int pid) {
  std::lock_guard lock(mu_);
  entries_.try_emplace(pid);
}

void Monitor::remove(int pid) {
  std::lock_guard lock(mu_);
  entries_.erase(pid);
}

void Monitor::count_error(const std::string& source) {
  std::lock_guard lock(mu_);
  ++errors_[source];
}

std::set<int> Monitor::tracked_pids() const {
  std::lock_guard lock(mu_);
  std::set<int> out;
  for (const auto& [pid, e] : entries_)
    if (e.state == std::string_view("live") || e.state == std::string_view("inactive"))
      out.insert(pid);
  return out;
}

bool Monitor::any_segment() const {
  std::lock_guard lock(mu_);
  return !entries_.empty();
}

void Monitor::rescan() {
  std::shared_ptr<const SegmentDir> dir = directory();
  if (!dir) return;
  std::vector<int> present;
  std::string error;
  if (!dir->list(&present, &error)) {
    log_warn(error);
    count_error("rescan");
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (dir != dir_) return;  // replaced meanwhile; that directory's own rescan follows
    std::map<int, Entry> next;
    for (int pid : present) {
      auto it = entries_.find(pid);
      next.emplace(pid, it == entries_.end() ? Entry{} : std::move(it->second));
    }
    entries_.swap(next);
    // Segments that scrapes read anyway need no reading here while their process runs (a
    // stat of /proc/<pid>); new, inactive, rejected and stale ones are judged (and logged)
    // even when no one scrapes, and the stale ones removed.
    present.clear();
    for (const auto& [pid, e] : entries_) {
      bool exported = e.state == std::string_view("live") ||
                      e.state == std::string_view("filtered") ||
                      e.state == std::string_view("over_limit");
      if (!exported || access(("/proc/" + std::to_string(pid)).c_str(), F_OK) != 0)
        present.push_back(pid);
    }
  }
  judge(present, /*from_rescan=*/true);
}

std::vector<reader::Snapshot> Monitor::scrape(SelfStats* self) {
  std::vector<int> pids;
  {
    std::lock_guard lock(mu_);
    pids.reserve(entries_.size());
    for (const auto& [pid, e] : entries_) pids.push_back(pid);
  }
  std::vector<reader::Snapshot> views = judge(pids, /*from_rescan=*/false);
  std::lock_guard lock(mu_);
  *self = self_locked();
  return views;
}

std::vector<reader::Snapshot> Monitor::judge(const std::vector<int>& pids, bool from_rescan) {
  std::shared_ptr<const SegmentDir> dir;
  bool cleanup;
  {
    std::lock_guard lock(mu_);
    dir = dir_;
    cleanup = from_rescan && settings_.stale_cleanup;
  }
  std::vector<reader::Snapshot> out;
  if (!dir) return out;
  std::vector<reader::Judgement> judged;
  judged.reserve(pids.size());
  for (int pid : pids) judged.push_back(reader::judge_segment(dir->path(), pid, kDaemonChecks));

  std::vector<size_t> to_remove;
  {
    std::lock_guard lock(mu_);
    if (dir != dir_) return out;
    uint32_t exported = 0;
    for (size_t i = 0; i < pids.size(); ++i) {
      auto it = entries_.find(pids[i]);
      if (it == entries_.end()) continue;  // removed meanwhile: its file is gone
      reader::Judgement& in = judged[i];
      if (in.verdict == Verdict::kGone) {
        entries_.erase(it);
        continue;
      }
      const char* before = it->second.state;
      record_locked(pids[i], it->second, in);
      if (in.verdict == Verdict::kStale && cleanup) to_remove.push_back(i);
      if (in.verdict != Verdict::kLive) continue;
      Entry& e = it->second;
      if (from_rescan) {
        // A rescan judges only some segments: filter and limit are the scrapes' to apply.
        if (before == std::string_view("filtered") || before == std::string_view("over_limit"))
          e.state = before;
        continue;
      }
      if (!comm_accepted_locked(in.snapshot->comm)) {
        e.state = "filtered";
        continue;
      }
      if (exported >= settings_.max_processes) {
        e.state = "over_limit";
        if (!e.limit_logged) {
          log_warn("segment " + reader::segment_file_name(pids[i]) + " not exported: max_processes (" +
                   std::to_string(settings_.max_processes) + ") reached");
          e.limit_logged = true;
        }
        continue;
      }
      e.limit_logged = false;
      ++exported;
      out.push_back(std::move(*in.snapshot));
    }
  }
  for (size_t i : to_remove) {
    std::string error;
    if (reader::remove_segment_file(dir->path(), pids[i], judged[i].dev, judged[i].ino, &error)) {
      log_info("removed stale segment " + dir->file_path(pids[i]) + " (" + judged[i].reason + ")");
      std::lock_guard lock(mu_);
      entries_.erase(pids[i]);
      ++stale_removed_;
    } else {
      log_debug("stale segment not removed: " + error);
    }
  }
  return out;
}

void Monitor::record_locked(int pid, Entry& e, const reader::Judgement& in) {
  switch (in.verdict) {
    case Verdict::kLive:
      e.state = "live";
      e.reason.clear();
      break;
    case Verdict::kInactive:
    case Verdict::kUnknown:  // not with process_first: unreadable /proc is proc_unreadable
      e.state = "inactive";
      break;
    case Verdict::kRejected:
    case Verdict::kStale: {
      e.state = in.verdict == Verdict::kStale ? "stale" : "rejected";
      bool same = e.reason == in.reason && e.dev == in.dev && e.ino == in.ino;
      if (!same) {
        ++rejections_[in.reason];
        std::string what = in.verdict == Verdict::kStale ? "stale segment " : "rejected segment ";
        log_warn(what + (dir_ ? dir_->file_path(pid) : reader::segment_file_name(pid)) + ": " + in.reason +
                 (in.detail.empty() ? "" : " (" + in.detail + ")"));
        e.reason = in.reason;
      }
      break;
    }
    case Verdict::kGone:
      break;
  }
  e.dev = in.dev;
  e.ino = in.ino;
}

bool Monitor::comm_accepted_locked(const std::string& comm) const {
  if (settings_.comm_filter.empty()) return true;
  return std::any_of(settings_.comm_filter.begin(), settings_.comm_filter.end(),
                     [&](const std::string& p) { return fnmatch(p.c_str(), comm.c_str(), 0) == 0; });
}

SelfStats Monitor::self_locked() const {
  SelfStats s;
  for (const char* state : kSegmentStates) s.segments[state] = 0;
  for (const auto& [pid, e] : entries_) ++s.segments[e.state];
  s.rejections = rejections_;
  s.errors = errors_;
  s.stale_removed = stale_removed_;
  return s;
}

}  // namespace hakmem::daemon
