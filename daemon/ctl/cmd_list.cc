// `hakmemctl list [--clean]`: every segment file in the directory, judged. A segment is live
// when its process runs with the start time the segment records (and owns the file), stale
// when that process is gone or its pid was reused, rejected when its file or contents fail
// the reader's checks. --clean removes stale files: regular, single-link files only, and only
// the very file judged (segment_file.h), so a new process that reused the pid keeps its own.
#include <unistd.h>

#include <iostream>

#include "args.h"
#include "commands.h"
#include "format.h"
#include "reader/process_liveness.h"
#include "reader/segment_file.h"

namespace hakmem::ctl {

namespace {

struct Entry {
  int pid = 0;
  std::string comm = "-", uptime = "-", abi = "-", state;
  bool stale = false;
  dev_t dev = 0;
  ino_t ino = 0;
};

Entry judge(const std::string& dir, int pid) {
  Entry e;
  e.pid = pid;
  reader::OpenResult f = reader::open_segment_file(dir + "/" + reader::segment_file_name(pid));
  e.dev = f.dev;
  e.ino = f.ino;
  bool gone = false;
  reader::process_start_ticks(pid, &gone);  // only whether the pid exists
  if (!f.ok()) {
    e.state = "rejected (" + std::string(reader::reason_name(f.error->reason)) + ")";
    return e;  // not a regular single-link file: never removed
  }
  reader::ReadOptions options;
  options.expected_pid = pid;
  reader::ReadResult r = reader::read_segment_fd(f.file.fd(), options);
  if (!r.ok()) {
    // Unreadable contents of a process that is gone are stale all the same; an all-zero
    // header of a running one is a segment being created.
    e.stale = gone;
    std::string reason(reader::reason_name(r.error->reason));
    if (gone)
      e.state = "stale (gone; " + reason + ")";
    else if (r.error->reason == reader::Reason::kNotPublished)
      e.state = "starting (not published yet)";
    else
      e.state = "rejected (" + reason + ")";
    return e;
  }
  const reader::Snapshot& s = r.snapshot;
  e.comm = printable(s.comm);
  e.abi = std::to_string(s.abi_major) + "." + std::to_string(s.abi_minor);
  reader::Liveness live = reader::check_liveness(pid, s.start_time_ticks);
  if (reader::is_stale(live)) {
    e.stale = true;
    e.state = "stale (" + std::string(reader::liveness_name(live)) + ")";
    return e;
  }
  if (live == reader::Liveness::kUnknown) {
    e.state = "unknown (/proc unreadable)";
    return e;
  }
  std::optional<uid_t> owner = reader::process_uid(pid);
  if (owner && *owner != f.file.stat().st_uid) {
    e.state = "rejected (owner_mismatch)";
    return e;
  }
  e.uptime = duration_s(reader::process_uptime_seconds(s.start_time_ticks));
  e.state = (s.flags & HAK_SEG_FLAG_ABANDONED) ? "live (exiting)" : "live";
  return e;
}

}  // namespace

int cmd_list(int argc, char** argv) {
  Args args(argc, argv, 0, {{"--clean", false}, {"--dir", true}});
  args.expect_positional(0, 0, "nothing");
  std::string dir = args.value("--dir").value_or(reader::default_segment_dir());
  std::vector<int> pids;
  std::string error;
  if (!reader::list_segment_pids(dir, &pids, &error)) {
    std::cerr << "hakmemctl list: " << error << "\n";
    return kExitFailure;
  }
  bool clean = args.flag("--clean");
  int status = kExitOk;
  Table t({"pid", "comm", "uptime", "abi", "state"}, "ll  l");
  for (int pid : pids) {
    Entry e = judge(dir, pid);
    if (clean && e.stale) {
      std::string why;
      if (reader::remove_segment_file(dir, pid, e.dev, e.ino, &why)) {
        e.state += ", removed";
      } else {
        std::cerr << "hakmemctl list: " << why << "\n";
        status = kExitFailure;
      }
    }
    t.row({std::to_string(e.pid), e.comm, e.uptime, e.abi, e.state});
  }
  std::cout << "segments in " << dir << "\n";
  t.print_or(std::cout, "  ", "(none)");
  return status;
}

}  // namespace hakmem::ctl
