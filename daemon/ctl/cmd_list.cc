// `hakmemctl list [--clean]`: every segment file in the directory, judged (segment_judge.h). A
// segment is live when its process runs with the start time the segment records (and owns the
// file), stale when that process is gone or its pid was reused, rejected when its file or
// contents fail the reader's checks. --clean removes stale files: regular, single-link files
// only, and only the very file judged (segment_file.h), so a new process that reused the pid
// keeps its own.
#include <iostream>

#include "args.h"
#include "commands.h"
#include "format.h"
#include "reader/process_liveness.h"
#include "reader/segment_file.h"
#include "reader/segment_judge.h"

namespace hakmem::ctl {

namespace {

struct Entry {
  int pid = 0;
  std::string comm = "-", uptime = "-", abi = "-", state;
  bool stale = false;
  dev_t dev = 0;
  ino_t ino = 0;
};

// hakmemctl list's checks: the reader's judgement, the owner checked only once the contents
// are valid and the process live (segment_judge.h).
constexpr reader::JudgeOptions kListChecks{.owner_with_file = false};

Entry judge(const std::string& dir, int pid) {
  Entry e;
  e.pid = pid;
  reader::Judgement j = reader::judge_segment(dir, pid, kListChecks);
  e.dev = j.dev;
  e.ino = j.ino;
  if (j.snapshot) {
    e.comm = printable(j.snapshot->comm);
    e.abi = std::to_string(j.snapshot->abi_major) + "." + std::to_string(j.snapshot->abi_minor);
  }
  switch (j.verdict) {
    case reader::Verdict::kGone:  // listed, then removed before it was opened
      e.state = "rejected (not_found)";
      break;
    case reader::Verdict::kRejected:  // a file that fails its checks is never removed
      e.state = "rejected (" + j.reason + ")";
      break;
    case reader::Verdict::kInactive:
      e.state = "starting (not published yet)";
      break;
    case reader::Verdict::kStale:
      e.stale = true;
      e.state = "stale (" + std::string(reader::liveness_name(j.process)) +
                (j.contents_error ? "; " + std::string(reader::reason_name(j.contents_error->reason)) : "") +
                ")";
      break;
    case reader::Verdict::kUnknown:
      e.state = "unknown (/proc unreadable)";
      break;
    case reader::Verdict::kLive:
      e.uptime = duration_s(reader::process_uptime_seconds(j.snapshot->start_time_ticks));
      e.state = (j.snapshot->flags & HAK_SEG_FLAG_ABANDONED) ? "live (exiting)" : "live";
      break;
  }
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
