// Segment files on disk: their names, finding them in a directory, opening one safely, and
// removing a stale one. The checks follow DESIGN.md (after hsperfdata's failures): opened with
// O_NOFOLLOW (a symlink is refused, never followed), then fstat of the open file: a regular
// file, exactly one link, the expected owner, a size between a header and HAK_SEG_MAX_SIZE.
// Removal re-checks that the name still holds the very file judged (device and inode), so a
// new process that recycled the pid keeps its segment. segment_judge.h orders these checks
// with the contents' and the process's. Thread-safe: no shared state.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reader/rejection.h"

namespace hakmem::reader {

// $HAKMEM_STATS_DIR when set and not empty, else HAK_SEG_DEFAULT_DIR.
std::string default_segment_dir();
// "hakmem.1234".
std::string segment_file_name(int pid);
// "hakmem.1234" -> 1234; nullopt for anything else (leading zeros, signs, overflow, pid 0).
std::optional<int> segment_pid(std::string_view file_name);
// Pids of the segment files in `dir`, ascending; false with `error` when it cannot be read.
bool list_segment_pids(const std::string& dir, std::vector<int>* pids, std::string* error);

// An open segment file that passed the file checks. Owns the descriptor.
class SegmentFile {
 public:
  SegmentFile() = default;
  SegmentFile(SegmentFile&& o) noexcept : fd_(o.fd_), st_(o.st_) { o.fd_ = -1; }
  SegmentFile& operator=(SegmentFile&& o) noexcept;
  SegmentFile(const SegmentFile&) = delete;
  SegmentFile& operator=(const SegmentFile&) = delete;
  ~SegmentFile();

  int fd() const { return fd_; }
  const struct stat& stat() const { return st_; }

 private:
  friend struct SegmentFileOpener;
  int fd_ = -1;
  struct stat st_ {};
};

struct FileCheckOptions {
  std::optional<uid_t> owner;  // the file must belong to this uid (e.g. the process's)
  // Skip the size check: a segment file is empty from its creation until its writer sizes it
  // (hakmemd's aggregates open it then, and read it later through the descriptor).
  bool any_size = false;
};

struct OpenResult {
  SegmentFile file;                // open when ok()
  std::optional<Rejection> error;  // not_found, open_failed, symlink, not_regular_file, ...
  dev_t dev = 0;                   // identity of what was judged, when it could be stat'ed
  ino_t ino = 0;
  bool ok() const { return !error.has_value(); }
};

// Opens `path` read-only and applies the file checks.
OpenResult open_segment_file(const std::string& path, const FileCheckOptions& options = {});

// owner_mismatch: `path` belongs to `found`, not to `expected`.
Rejection owner_mismatch(const std::string& path, uid_t found, uid_t expected);

// Unlinks `dir`/hakmem.<pid> if it is still the regular file (dev, ino); false with `error`
// otherwise.
bool remove_segment_file(const std::string& dir, int pid, dev_t dev, ino_t ino, std::string* error);

}  // namespace hakmem::reader
