// See segment_file.h.
#include "reader/segment_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "hakmem/telemetry_abi.h"

namespace hakmem::reader {

struct SegmentFileOpener {
  static void set(SegmentFile& f, int fd, const struct stat& st) {
    f.fd_ = fd;
    f.st_ = st;
  }
};

SegmentFile& SegmentFile::operator=(SegmentFile&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    st_ = o.st_;
    o.fd_ = -1;
  }
  return *this;
}

SegmentFile::~SegmentFile() {
  if (fd_ >= 0) close(fd_);
}

std::string default_segment_dir() {
  const char* d = getenv("HAKMEM_STATS_DIR");
  return d != nullptr && *d != '\0' ? d : HAK_SEG_DEFAULT_DIR;
}

std::string segment_file_name(int pid) { return HAK_SEG_FILE_PREFIX + std::to_string(pid); }

std::optional<int> segment_pid(std::string_view name) {
  constexpr std::string_view kPrefix = HAK_SEG_FILE_PREFIX;
  if (name.size() <= kPrefix.size() || name.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::string_view digits = name.substr(kPrefix.size());
  if (digits.size() > 10 || digits[0] == '0') return std::nullopt;
  long long v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v <= 0 || v > 0x7fffffff) return std::nullopt;
  return static_cast<int>(v);
}

bool list_segment_pids(const std::string& dir, std::vector<int>* pids, std::string* error) {
  pids->clear();
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    *error = "cannot read the segment directory " + dir + ": " + strerror(errno);
    return false;
  }
  while (const dirent* e = readdir(d)) {
    if (auto pid = segment_pid(e->d_name)) pids->push_back(*pid);
  }
  closedir(d);
  std::sort(pids->begin(), pids->end());
  return true;
}

Rejection owner_mismatch(const std::string& path, uid_t found, uid_t expected) {
  return Rejection{Reason::kOwnerMismatch, path + " belongs to uid " + std::to_string(found) +
                                               ", expected uid " + std::to_string(expected)};
}

OpenResult open_segment_file(const std::string& path, const FileCheckOptions& options) {
  OpenResult r;
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    struct stat lst;
    bool have = lstat(path.c_str(), &lst) == 0;
    if (have) {
      r.dev = lst.st_dev;
      r.ino = lst.st_ino;
    }
    if (err == ENOENT)
      r.error = Rejection{Reason::kNotFound, path + " does not exist"};
    else if (err == ELOOP || (have && S_ISLNK(lst.st_mode)))
      r.error = Rejection{Reason::kSymlink, path + " is a symbolic link (never followed)"};
    else
      r.error = Rejection{Reason::kOpenFailed, "cannot open " + path + ": " + strerror(err)};
    return r;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    r.error = Rejection{Reason::kOpenFailed, "cannot fstat " + path + ": " + strerror(errno)};
    close(fd);
    return r;
  }
  r.dev = st.st_dev;
  r.ino = st.st_ino;
  if (!S_ISREG(st.st_mode))
    r.error = Rejection{Reason::kNotRegularFile, path + " is not a regular file"};
  else if (st.st_nlink != 1)
    r.error = Rejection{Reason::kHardLinked, path + " has " + std::to_string(st.st_nlink) + " links, not 1"};
  else if (options.owner && st.st_uid != *options.owner)
    r.error = owner_mismatch(path, st.st_uid, *options.owner);
  else if (!options.any_size && (st.st_size < static_cast<off_t>(sizeof(hak_seg_header)) ||
                                  st.st_size > static_cast<off_t>(HAK_SEG_MAX_SIZE)))
    r.error = Rejection{Reason::kSizeOutOfBounds,
                        path + " has " + std::to_string(st.st_size) + " bytes, outside [" +
                            std::to_string(sizeof(hak_seg_header)) + ", " +
                            std::to_string(HAK_SEG_MAX_SIZE) + "]"};
  if (r.error) {
    close(fd);
    return r;
  }
  SegmentFileOpener::set(r.file, fd, st);
  return r;
}

bool remove_segment_file(const std::string& dir, int pid, dev_t dev, ino_t ino, std::string* error) {
  std::string path = dir + "/" + segment_file_name(pid);
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    *error = "cannot stat " + path + ": " + strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode) || st.st_dev != dev || st.st_ino != ino) {
    *error = path + " is no longer the file that was judged stale";
    return false;
  }
  if (unlink(path.c_str()) != 0) {
    *error = "cannot remove " + path + ": " + strerror(errno);
    return false;
  }
  return true;
}

}  // namespace hakmem::reader
