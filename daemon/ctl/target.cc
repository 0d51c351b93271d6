// See target.h.
#include "target.h"

#include <sys/stat.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "args.h"
#include "format.h"
#include "reader/process_liveness.h"
#include "reader/segment_file.h"
#include "reader/segment_judge.h"
#include "snapshot_json.h"

namespace hakmem::ctl {

Loaded load_pid(const std::string& dir, int pid) {
  Loaded out;
  std::string who = "pid " + std::to_string(pid);
  reader::Judgement j = reader::judge_segment(dir, pid);
  if (j.verdict == reader::Verdict::kGone) {
    struct stat st;
    bool exists = stat(("/proc/" + std::to_string(pid)).c_str(), &st) == 0;
    out.error = "no segment for " + who + " in " + dir + ": " +
                (exists ? "the process runs without HAKMEM telemetry (not preloaded, "
                          "HAKMEM_STATS=0, or another HAKMEM_STATS_DIR)"
                        : "no such process");
    return out;
  }
  // A reading that failed says why, even when its process is gone or it is being created.
  const std::optional<reader::Rejection>& error = j.file_error ? j.file_error : j.contents_error;
  if (error) {
    out.error = "segment of " + who + " rejected (" + std::string(reader::reason_name(error->reason)) +
                "): " + (j.contents_error ? dir + "/" + reader::segment_file_name(pid) + ": " : "") +
                error->message;
    return out;
  }
  if (j.verdict == reader::Verdict::kStale) {
    out.error = "the segment of " + who + " is stale (" + std::string(reader::liveness_name(j.process)) +
                "): its process is no longer running (hakmemctl list --clean removes it)";
    return out;
  }
  out.snapshot = std::move(*j.snapshot);  // kLive, or kUnknown: /proc unreadable is no error here
  out.label = who + " (" + printable(out.snapshot.comm) + ")";
  return out;
}

Loaded load_snapshot_file(const std::string& path) {
  Loaded out;
  std::ifstream in(path);
  if (!in) {
    out.error = "cannot read snapshot file " + path;
    return out;
  }
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    out.error = path + ": not valid JSON";
    return out;
  }
  std::string error;
  if (!snapshot_from_json(j, &out.snapshot, &error)) {
    out.error = path + ": " + error;
    return out;
  }
  out.label = path + " (pid " + std::to_string(out.snapshot.pid) + ", " + printable(out.snapshot.comm) + ")";
  return out;
}

Loaded load_target(const std::string& dir, const std::string& target) {
  if (looks_like_pid(target)) return load_pid(dir, parse_pid(target));
  return load_snapshot_file(target);
}

}  // namespace hakmem::ctl
