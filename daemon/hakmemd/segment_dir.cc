// See segment_dir.h.
#include "segment_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "hakmem/stats_dir.h"
#include "reader/segment_file.h"

namespace hakmem::daemon {

namespace {

// The allocator's verdict (hakmem/stats_dir.h) in the daemon's words; empty when fit.
std::string unfit(const struct stat& st) {
  switch (hak_stats_dir_judge(&st, geteuid())) {
    case HAK_STATS_DIR_OK: break;
    // Not after the fstat of a directory opened O_DIRECTORY | O_NOFOLLOW; named all the same.
    case HAK_STATS_DIR_SYMLINK: return "is a symlink";
    case HAK_STATS_DIR_NOT_DIRECTORY: return "is not a directory";
    case HAK_STATS_DIR_FOREIGN_OWNER:
      return "is owned by uid " + std::to_string(st.st_uid) + ", neither root nor the daemon's user";
    case HAK_STATS_DIR_OPEN_TO_OTHERS:
      return "is writable by group or others without the sticky bit";
  }
  return {};
}

}  // namespace

SegmentDir::~SegmentDir() { ::close(fd_); }

std::shared_ptr<const SegmentDir> SegmentDir::open(const std::string& path, std::string* error) {
  char resolved[PATH_MAX];
  if (realpath(path.c_str(), resolved) == nullptr) {
    *error = "segment directory " + path + ": " + strerror(errno);
    return nullptr;
  }
  if (path != resolved) {
    *error = "segment directory " + path + " is reached through a symlink (it resolves to " +
             resolved + ")";
    return nullptr;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    *error = "segment directory " + path + ": " + strerror(errno);
    return nullptr;
  }
  struct stat st;
  std::string why = fstat(fd, &st) != 0 ? strerror(errno) : unfit(st);
  if (!why.empty()) {
    ::close(fd);
    *error = "segment directory " + path + " " + why;
    return nullptr;
  }
  return std::shared_ptr<const SegmentDir>(new SegmentDir(fd, path));
}

std::string SegmentDir::file_path(int pid) const {
  return path_ + "/" + reader::segment_file_name(pid);
}

bool SegmentDir::list(std::vector<int>* pids, std::string* error) const {
  return reader::list_segment_pids(path_, pids, error);
}

}  // namespace hakmem::daemon
