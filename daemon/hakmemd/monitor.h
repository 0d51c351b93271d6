// The daemon's knowledge of the segment directory, shared by the loop thread (which adds and
// removes pids on inotify events and rescans) and the scrape threads (which read every known
// segment afresh and export the accepted ones).
//
// Thread-safety: every member function may be called from any thread; the table is guarded by
// one mutex that is never held while a segment is read.
//
// Each known segment has a state (live, inactive, filtered, over_limit, rejected, stale): the
// hakmemd_segments{state} gauge. A rejection (or staleness) is counted in
// hakmemd_segment_rejections_total{reason} and logged once per segment and reason: a segment
// seen rejected by many scrapes counts once, and counts again only if its reason changes or
// the file is replaced (another inode).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "reader/segment_judge.h"
#include "reader/snapshot.h"
#include "segment_dir.h"

namespace hakmem::daemon {

struct MonitorSettings {
  std::vector<std::string> comm_filter;  // fnmatch patterns; empty accepts every comm
  uint32_t max_processes = 1024;
  bool stale_cleanup = true;
};

inline constexpr const char* kSegmentStates[] = {"live",       "inactive", "filtered",
                                                 "over_limit", "rejected", "stale"};

struct SelfStats {
  std::map<std::string, uint64_t> segments;    // by state, every state present
  std::map<std::string, uint64_t> rejections;  // by reason, since start
  std::map<std::string, uint64_t> errors;      // by source, since start
  uint64_t stale_removed = 0;
};

class Monitor {
 public:
  Monitor();

  std::shared_ptr<const SegmentDir> directory() const;
  // A new directory forgets every known segment and lists the new one.
  void set_directory(std::shared_ptr<const SegmentDir> dir);
  void configure(MonitorSettings s);

  void add(int pid);     // inotify: a segment file appeared
  void remove(int pid);  // inotify: it went away
  // Reconciles the table with the directory, judges every segment (logging, counting) and
  // removes stale ones when cleanup is on. Loop thread.
  void rescan();

  // Reads every known segment now: the processes to export (sorted by pid) and, after this
  // scrape's judgements, the daemon's own counts.
  std::vector<reader::Snapshot> scrape(SelfStats* self);

  void count_error(const std::string& source);

  // The pids the eBPF probes count in mode `tracked`: segments being exported, and new ones
  // not yet judged (so a process is traced from its first scan). Not filtered, over the
  // limit, rejected or stale ones.
  std::set<int> tracked_pids() const;
  // The directory holds a segment, in any state.
  bool any_segment() const;

 private:
  struct Entry {
    const char* state = "inactive";
    std::string reason;  // last reason counted (rejected/stale)
    dev_t dev = 0;
    ino_t ino = 0;
    bool limit_logged = false;
  };
  // Judges `pids` without the lock, then records under it; returns the exportable snapshots.
  // from_rescan: also removes stale files (when cleanup is on), and leaves filter and limit
  // to the scrapes (a rescan judges only some segments).
  std::vector<reader::Snapshot> judge(const std::vector<int>& pids, bool from_rescan);
  void record_locked(int pid, Entry& e, const reader::Judgement& in);
  bool comm_accepted_locked(const std::string& comm) const;
  SelfStats self_locked() const;

  mutable std::mutex mu_;
  std::shared_ptr<const SegmentDir> dir_;
  MonitorSettings settings_;
  std::map<int, Entry> entries_;
  std::map<std::string, uint64_t> rejections_;
  std::map<std::string, uint64_t> errors_;
  uint64_t stale_removed_ = 0;
};

}  // namespace hakmem::daemon
