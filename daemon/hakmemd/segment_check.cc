// See segment_check.h. The checks themselves are the reader library's (reader/segment_file.h
// for the file, reader/segment_reader.h for the contents, reader/process_liveness.h for the
// process); this file orders them and turns their outcome into the daemon's verdicts.
#include "segment_check.h"

#include <string>

#include "reader/process_liveness.h"
#include "reader/segment_file.h"
#include "reader/segment_reader.h"

namespace hakmem::daemon {

namespace {

Inspection judged(Verdict v, std::string reason, dev_t dev, ino_t ino, std::string detail = {}) {
  Inspection in;
  in.verdict = v;
  in.reason = std::move(reason);
  in.detail = std::move(detail);
  in.dev = dev;
  in.ino = ino;
  return in;
}

}  // namespace

Inspection inspect_segment(const SegmentDir& dir, int pid) {
  const std::string path = dir.file_path(pid);
  bool gone = false;
  std::optional<uint64_t> running_since = reader::process_start_ticks(pid, &gone);
  // Owner: the uid of the live process. A process that is gone leaves a stale file, judged
  // as such whatever it holds (it is removed only if it is a plain file).
  reader::FileCheckOptions checks;
  if (running_since) checks.owner = reader::process_uid(pid);
  reader::OpenResult f = reader::open_segment_file(path, checks);
  if (f.error && f.error->reason == reader::Reason::kNotFound) return Inspection{};  // kGone
  if (gone) return judged(Verdict::kStale, "process_gone", f.dev, f.ino);
  if (!running_since || !checks.owner)
    return judged(Verdict::kRejected, "proc_unreadable", f.dev, f.ino,
                  "/proc/" + std::to_string(pid) + " cannot be read");
  if (!f.ok())
    return judged(Verdict::kRejected, std::string(reader::reason_name(f.error->reason)), f.dev,
                  f.ino, f.error->message);

  reader::ReadOptions options;
  options.expected_pid = pid;
  reader::ReadResult r = reader::read_segment_fd(f.file.fd(), options);
  if (!r.ok()) {
    if (r.error->reason == reader::Reason::kNotPublished)
      return judged(Verdict::kInactive, {}, f.dev, f.ino);
    return judged(Verdict::kRejected, std::string(reader::reason_name(r.error->reason)), f.dev,
                  f.ino, r.error->message);
  }
  // The start time read before the file was opened: a process that exits meanwhile is found
  // stale by the next reading, and its segment is not exported past it.
  if (*running_since != r.snapshot.start_time_ticks)
    return judged(Verdict::kStale, "pid_reused", f.dev, f.ino,
                  "the process with this pid started at another time than the segment's");
  uint32_t flags = r.snapshot.flags;
  if ((flags & HAK_SEG_FLAG_ACTIVE) == 0 || (flags & HAK_SEG_FLAG_ABANDONED) != 0)
    return judged(Verdict::kInactive, {}, f.dev, f.ino);
  Inspection in = judged(Verdict::kLive, {}, f.dev, f.ino);
  in.snapshot = std::move(r.snapshot);
  return in;
}

bool remove_stale_segment(const SegmentDir& dir, int pid, const Inspection& judged,
                          std::string* error) {
  return reader::remove_segment_file(dir.path(), pid, judged.dev, judged.ino, error);
}

}  // namespace hakmem::daemon
