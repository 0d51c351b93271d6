// See segment_dir.h.
#include "segment_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "hakmem/telemetry_abi.h"

namespace hakmem::daemon {

namespace {
constexpr int kMaxPid = 4194304;  // PID_MAX_LIMIT on 64-bit Linux
}

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
  std::string why;
  if (fstat(fd, &st) != 0) {
    why = strerror(errno);
  } else if (st.st_uid != 0 && st.st_uid != geteuid()) {
    why = "is owned by uid " + std::to_string(st.st_uid) + ", neither root nor the daemon's user";
  } else if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st.st_mode & S_ISVTX) == 0) {
    why = "is writable by group or others without the sticky bit";
  }
  if (!why.empty()) {
    ::close(fd);
    *error = "segment directory " + path + " " + why;
    return nullptr;
  }
  return std::shared_ptr<const SegmentDir>(new SegmentDir(fd, path));
}

std::string SegmentDir::file_path(int pid) const { return path_ + "/" + segment_name(pid); }

bool SegmentDir::list(std::vector<int>* pids) const {
  pids->clear();
  int dup_fd = ::openat(fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup_fd < 0) return false;
  DIR* d = fdopendir(dup_fd);
  if (d == nullptr) {
    ::close(dup_fd);
    return false;
  }
  while (dirent* e = readdir(d)) {
    if (auto pid = segment_pid(e->d_name)) pids->push_back(*pid);
  }
  closedir(d);
  return true;
}

std::optional<int> segment_pid(std::string_view name) {
  constexpr std::string_view kPrefix = HAK_SEG_FILE_PREFIX;
  if (name.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::string_view digits = name.substr(kPrefix.size());
  if (digits.empty() || digits.size() > 7 || digits[0] == '0') return std::nullopt;
  int pid = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    pid = pid * 10 + (c - '0');
  }
  if (pid > kMaxPid) return std::nullopt;
  return pid;
}

std::string segment_name(int pid) { return HAK_SEG_FILE_PREFIX + std::to_string(pid); }

}  // namespace hakmem::daemon
