// The segment directory: opening it safely, naming and listing its segment files.
//
// A directory is accepted (DESIGN.md, after hsperfdata's failures) only if it is a real
// directory reached through no symlink, owned by root or by the daemon's user, and not
// writable by group or others unless sticky (/dev/shm is 1777: sticky): the allocator's own
// verdict, hakmem/stats_dir.h, plus the symlink check of every component. Segment files are
// `hakmem.<pid>` (reader/segment_file.h names them); anything else in it is ignored. The open
// fd is what inotify watches. Thread-safe: a SegmentDir is immutable once opened.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hakmem::daemon {

class SegmentDir {
 public:
  ~SegmentDir();
  SegmentDir(const SegmentDir&) = delete;
  SegmentDir& operator=(const SegmentDir&) = delete;

  // nullptr with `error` set when the directory is missing or unsafe.
  static std::shared_ptr<const SegmentDir> open(const std::string& path, std::string* error);

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  std::string file_path(int pid) const;

  // Pids of the segment files present now, ascending; false with `error` when unreadable.
  bool list(std::vector<int>* pids, std::string* error) const;

 private:
  SegmentDir(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};


}  // namespace hakmem::daemon
