// One segment file, judged: every check the daemon makes before a value of it is exported.
//
// Order: open relative to the directory fd with O_NOFOLLOW (a symlink is refused, never
// followed); fstat the open file (regular, one link, size within the ABI's bounds); the
// process behind the pid in the name must be running and its /proc/<pid> owner must be the
// file's owner (a user cannot publish counters under another user's process); then the reader
// library reads and validates the contents (magic, version, section table, counts, pid and
// start time against /proc). Thread-safe: no shared state; called by scrapes and rescans.
#pragma once

#include <sys/types.h>

#include <string>

#include "reader/snapshot.h"
#include "segment_dir.h"

namespace hakmem::daemon {

enum class Verdict {
  kLive,      // valid, process running: export it
  kInactive,  // not published yet, or abandoned by an exiting process: neither export nor reject
  kRejected,  // untrustworthy: counted by reason, logged once
  kStale,     // process gone or pid reused: counted, removed when cleanup is on
  kGone,      // the file is no longer there
};

struct Inspection {
  Verdict verdict = Verdict::kGone;
  std::string reason;  // stable snake_case, for kRejected and kStale
  dev_t dev = 0;       // identity of the file judged (0 when it could not be opened)
  ino_t ino = 0;
  reader::Snapshot snapshot;  // filled for kLive only
};

Inspection inspect_segment(const SegmentDir& dir, int pid);

// Removes the stale segment of `pid` if it is still the file `judged` saw (same inode).
bool remove_stale_segment(const SegmentDir& dir, int pid, const Inspection& judged);

}  // namespace hakmem::daemon
