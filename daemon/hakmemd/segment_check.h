// One segment file, judged: every check the daemon makes before a value of it is exported.
//
// Order: the process behind the pid in the name must be running (else the file is stale);
// the file is opened with O_NOFOLLOW (a symlink is refused, never followed) and its fstat must
// show a regular file with one link, a size within the ABI's bounds and the owner of
// /proc/<pid> (a user cannot publish counters under another user's process); the reader
// library then reads and validates the contents (magic, version, section table, counts, pid);
// last, the process's start time must be the segment's (else the pid was reused: stale).
// Every check is the reader library's; this layer orders them. Thread-safe: no shared state;
// called by scrapes and rescans.
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
  std::string detail;  // for the log: what exactly was wrong
  dev_t dev = 0;       // identity of the file judged (0 when it could not be opened)
  ino_t ino = 0;
  reader::Snapshot snapshot;  // filled for kLive only
};

Inspection inspect_segment(const SegmentDir& dir, int pid);

// Removes the stale segment of `pid` if it is still the file `judged` saw (same inode).
bool remove_stale_segment(const SegmentDir& dir, int pid, const Inspection& judged,
                          std::string* error);

}  // namespace hakmem::daemon
