// See segment_judge.h. The checks themselves are segment_file.h's (the file),
// segment_reader.h's (the contents) and process_liveness.h's (the process); this file orders
// them and turns their outcome into a verdict.
#include "reader/segment_judge.h"

#include <sys/stat.h>

#include <utility>

#include "hakmem/telemetry_abi.h"
#include "reader/segment_file.h"
#include "reader/segment_reader.h"

namespace hakmem::reader {

namespace {

Judgement& verdict(Judgement& j, Verdict v, std::string reason = {}, std::string detail = {}) {
  j.verdict = v;
  j.reason = std::move(reason);
  j.detail = std::move(detail);
  return j;
}

Judgement& rejected(Judgement& j, const Rejection& r) {
  return verdict(j, Verdict::kRejected, std::string(reason_name(r.reason)), r.message);
}

}  // namespace

Judgement judge_segment(const std::string& dir, int pid, const JudgeOptions& options) {
  Judgement j;
  const std::string path = dir + "/" + segment_file_name(pid);
  bool gone = false;
  std::optional<ProcStat> proc = process_stat(pid, &gone);
  std::optional<uint64_t> running_since;
  if (proc) running_since = proc->start_ticks;
  std::optional<uid_t> owner = process_uid(pid);  // unset when gone: a stale file is readable
  j.process = running_since ? Liveness::kLive : gone ? Liveness::kGone : Liveness::kUnknown;

  FileCheckOptions checks;
  if (options.owner_with_file) checks.owner = owner;
  OpenResult f = open_segment_file(path, checks);
  j.dev = f.dev;
  j.ino = f.ino;
  if (f.error && f.error->reason == Reason::kNotFound) return j;  // kGone
  if (options.process_first) {
    if (gone) return verdict(j, Verdict::kStale, "process_gone");
    if (!running_since || !owner)
      return verdict(j, Verdict::kRejected, "proc_unreadable",
                     "/proc/" + std::to_string(pid) + " cannot be read");
  }
  if (!f.ok()) {
    j.file_error = std::move(f.error);
    return rejected(j, *j.file_error);
  }

  ReadOptions read;
  read.expected_pid = pid;
  ReadResult r = read_segment_fd(f.file.fd(), read);
  if (!r.ok()) {
    // Unreadable contents of a process that is gone are stale all the same; an all-zero
    // header of a running one is a segment being created.
    j.contents_error = std::move(r.error);
    if (gone) return verdict(j, Verdict::kStale, "process_gone");
    if (j.contents_error->reason == Reason::kNotPublished) return verdict(j, Verdict::kInactive);
    return rejected(j, *j.contents_error);
  }
  Snapshot& s = j.snapshot.emplace(std::move(r.snapshot));
  s.process_stopped = proc && proc->stopped();
  if (running_since && *running_since != s.start_time_ticks) {
    j.process = Liveness::kPidReused;
    return verdict(j, Verdict::kStale, "pid_reused",
                   "the process with this pid started at another time than the segment's");
  }
  if (gone) return verdict(j, Verdict::kStale, "process_gone");
  if (!running_since) return verdict(j, Verdict::kUnknown);
  if (!options.owner_with_file && owner && *owner != f.file.stat().st_uid) {
    j.file_error = owner_mismatch(path, f.file.stat().st_uid, *owner);
    return rejected(j, *j.file_error);
  }
  if (options.require_active &&
      ((s.flags & HAK_SEG_FLAG_ACTIVE) == 0 || (s.flags & HAK_SEG_FLAG_ABANDONED) != 0))
    return verdict(j, Verdict::kInactive);
  return verdict(j, Verdict::kLive);
}

}  // namespace hakmem::reader
