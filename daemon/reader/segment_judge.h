// One segment file judged: the checks every reader makes before it trusts a value of it, in
// one order, for hakmemd (monitor.cc), `hakmemctl list` (cmd_list.cc) and the hakmemctl
// commands that read one pid (target.cc).
//
// Order: the process behind the pid in the name is read from /proc first (start time, state and
// owner), before the file is opened, so a process that exits meanwhile is found stale by the
// next judgement, never exported past it. Then the file checks (segment_file.h: O_NOFOLLOW, a
// regular file, one link, the owner, the size), then the contents (segment_reader.h, expecting
// the pid of the name), then the process's start time against the segment's. The options are
// where the callers differ (hakmemd's stricter rules, hakmemctl list's later owner check); the
// verdicts and reason names are the contract of hakmemd_segment_rejections_total{reason} and
// of hakmemctl's output (README).
// Thread-safe: no shared state.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "reader/process_liveness.h"
#include "reader/rejection.h"
#include "reader/snapshot.h"

namespace hakmem::reader {

enum class Verdict {
  kLive,      // valid contents, and the process that wrote them runs
  kInactive,  // not published yet (an all-zero header) or, with require_active, a process
              // starting or exiting: neither trusted nor rejected
  kRejected,  // untrustworthy: `reason`
  kStale,     // the process is gone (process_gone) or its pid was reused (pid_reused)
  kUnknown,   // valid contents, but /proc/<pid> cannot be read: neither live nor stale
  kGone,      // no file of that name (any more)
};

struct JudgeOptions {
  // hakmemd: the process is judged before the file. A file whose process is gone is stale
  // whatever it holds (removal takes plain files only), and a /proc/<pid> that cannot be read
  // is a rejection, proc_unreadable. Otherwise a file that fails its checks is rejected
  // whatever its process, and unreadable /proc leaves valid contents kUnknown.
  bool process_first = false;
  // The file must belong to the owner of /proc/<pid>: checked with the file checks, ahead of
  // the size and the contents (true); or (hakmemctl list) only once the contents are valid and
  // the process is live.
  bool owner_with_file = true;
  // hakmemd: a segment not flagged HAK_SEG_FLAG_ACTIVE, or flagged HAK_SEG_FLAG_ABANDONED, is
  // kInactive rather than kLive.
  bool require_active = false;
};

struct Judgement {
  Verdict verdict = Verdict::kGone;
  std::string reason;  // kRejected and kStale: stable snake_case (reason_name(), or
                       // proc_unreadable, process_gone, pid_reused)
  std::string detail;  // what exactly was wrong, for a log line (empty when the reason says it)
  Liveness process = Liveness::kUnknown;  // kLive, kGone, kPidReused (once the contents tell)
                                          // or kUnknown: what /proc showed
  std::optional<Rejection> file_error;      // the file checks failed (kRejected)
  std::optional<Rejection> contents_error;  // the contents failed: kRejected, kInactive (not
                                            // published) or kStale (of a gone process)
  std::optional<Snapshot> snapshot;         // the contents, whenever they read valid
  dev_t dev = 0;  // identity of the file judged (0 when it could not be stat'ed): removal
  ino_t ino = 0;  // takes only this very file
};

// Judges `dir`/hakmem.<pid>.
Judgement judge_segment(const std::string& dir, int pid, const JudgeOptions& options = {});

}  // namespace hakmem::reader
