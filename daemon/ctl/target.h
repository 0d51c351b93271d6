// What a hakmemctl command reads: the live segment of a pid, or (compare) a snapshot file.
// Errors come back as one line that names what was wrong: the pid and directory, the
// rejection reason of a segment, the JSON path of a snapshot file. Not thread-safe (stdio).
#pragma once

#include <string>

#include "reader/snapshot.h"

namespace hakmem::ctl {

struct Loaded {
  reader::Snapshot snapshot;
  std::string label;  // "pid 1234 (comm)" or "file.json (pid 1234, comm)"
  std::string error;  // empty when loaded
  bool ok() const { return error.empty(); }
};

// The segment of `pid` in `dir`, with the file checks, the content checks and liveness: a
// segment whose process is gone or whose pid was reused is an error too.
Loaded load_pid(const std::string& dir, int pid);
// A file written by `hakmemctl snapshot`.
Loaded load_snapshot_file(const std::string& path);
// A pid (all digits) or a file name.
Loaded load_target(const std::string& dir, const std::string& target);

}  // namespace hakmem::ctl
