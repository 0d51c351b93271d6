// Per-comm aggregates (hakmemd.json "export": "aggregates" or "both"; README "Beyond one
// host"): for each comm, the counters of every process hakmemd has exported under it, exited
// ones included, so that they never go backwards while processes come and go and a fleet
// stores a few series per program instead of a hundred per process; and the gauges (bytes,
// slabs, SuperSlabs) of the live ones.
//
// Exits are kept exactly: when a segment file appears (inotify; or at the first scrape that
// exports it) it is opened and the descriptor kept. Once the process is not exported it is
// read through that descriptor (the pages stay readable after the file is removed) until the
// kernel shows it gone; that last reading, its final counts, is folded into its comm's totals
// and the descriptor closed. So a process that lives between two scrapes counts too, and a
// SIGKILLed one's file is read the same way. Not counted: a process whose file is gone before
// hakmemd opened it (it lived less than an inotify round trip), and one under a comm filter
// or beyond max_processes from its start. A forked child's counts start at zero (ABI 1.4,
// telemetry_abi.h), so nothing is counted twice; a reading that fails keeps the last good one.
//
// Thread-safety: update() may run on several scrape threads at once; one mutex, held for
// the whole update (reads of departed processes included: there are few).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "reader/snapshot.h"

namespace hakmem::daemon {

struct CommTotals {
  std::string comm;
  // Counters (classes' counters and cache resizes, locks, the process record's counters, span
  // cache events included): every process of the comm, live and exited. Gauges (the process
  // record's mapped, resident, large live and span cache bytes, SuperSlabs, slabs and cache
  // capacity per class): the live processes only. wait_ns_max: the largest.
  reader::Snapshot sums;
  std::vector<uint64_t> live_bytes;  // per class, the live processes' (block sizes)
  uint64_t processes = 0;            // live (exported or still exiting) now
  uint64_t exited = 0;               // processes folded so far
};

class Aggregates {
 public:
  Aggregates() = default;
  ~Aggregates();
  Aggregates(const Aggregates&) = delete;
  Aggregates& operator=(const Aggregates&) = delete;

  // A segment file of `pid` appeared in `segment_dir`: keep it open from now on (loop thread).
  void appeared(int pid, const std::string& segment_dir);
  // The totals after this scrape's `exported` processes (their snapshots, read just now from
  // `segment_dir`), sorted by comm.
  std::vector<CommTotals> update(const std::vector<reader::Snapshot>& exported, const std::string& segment_dir);

 private:
  struct Tracked {
    int fd = -1;            // the segment file, kept open; -1 when it could not be opened
    reader::Snapshot last;  // the latest good reading (pid 0 until there is one); pid, start
                            // time and created_ns name this segment (not an exec's next one,
                            // not a reused pid's)
    bool read() const { return last.pid != 0; }
  };
  struct Folded {
    reader::Snapshot sums;  // counters only
    uint64_t exited = 0;
  };
  void fold_locked(Tracked& t);

  std::mutex mu_;
  std::map<int, Tracked> tracked_;       // by pid
  std::map<std::string, Folded> folded_;  // by comm
};

// Adds the counters of `from` into `into` (classes, locks, the process record's counters;
// wait_ns_max the larger); `into` has every class and lock this reader knows.
void add_counters(reader::Snapshot& into, const reader::Snapshot& from);

}  // namespace hakmem::daemon
