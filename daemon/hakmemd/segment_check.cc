// See segment_check.h. The file-level checks are here; the contents are the reader library's.
#include "segment_check.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "reader/segment_reader.h"

namespace hakmem::daemon {

namespace {

// Owns an fd for the length of one inspection.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Inspection rejected(const char* reason, const struct stat* st = nullptr) {
  Inspection in;
  in.verdict = Verdict::kRejected;
  in.reason = reason;
  if (st) {
    in.dev = st->st_dev;
    in.ino = st->st_ino;
  }
  return in;
}

Inspection stale(const char* reason, const struct stat& st) {
  Inspection in = rejected(reason, &st);
  in.verdict = Verdict::kStale;
  return in;
}

// The contents, through the reader library. Sets `in` from its verdict.
void read_contents(int fd, int pid, const struct stat& st, Inspection& in);

}  // namespace

Inspection inspect_segment(const SegmentDir& dir, int pid) {
  std::string name = segment_name(pid);
  Fd f{::openat(dir.fd(), name.c_str(),
                O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)};
  if (f.fd < 0) {
    if (errno == ENOENT) return Inspection{};  // kGone
    struct stat lst;
    bool have = fstatat(dir.fd(), name.c_str(), &lst, AT_SYMLINK_NOFOLLOW) == 0;
    if (errno == ELOOP || (have && S_ISLNK(lst.st_mode))) return rejected("symlink", have ? &lst : nullptr);
    return rejected("open_failed", have ? &lst : nullptr);
  }
  struct stat st;
  if (fstat(f.fd, &st) != 0) return rejected("open_failed");
  if (!S_ISREG(st.st_mode)) return rejected("not_regular_file", &st);
  if (st.st_nlink != 1) return rejected("hard_linked", &st);
  if (st.st_size < static_cast<off_t>(sizeof(hak_seg_header)) ||
      st.st_size > static_cast<off_t>(HAK_SEG_MAX_SIZE))
    return rejected("size_out_of_bounds", &st);

  // The process behind the name: gone means stale; another owner means a forgery.
  struct stat proc;
  std::string proc_dir = "/proc/" + std::to_string(pid);
  if (stat(proc_dir.c_str(), &proc) != 0) {
    if (errno == ENOENT) return stale("process_gone", st);
    return rejected("proc_unreadable", &st);
  }
  if (proc.st_uid != st.st_uid) return rejected("owner_mismatch", &st);

  Inspection in;
  in.dev = st.st_dev;
  in.ino = st.st_ino;
  read_contents(f.fd, pid, st, in);
  return in;
}

bool remove_stale_segment(const SegmentDir& dir, int pid, const Inspection& judged) {
  std::string name = segment_name(pid);
  struct stat st;
  if (fstatat(dir.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  // Only the very file judged stale: a new process with a recycled pid may have replaced it.
  if (st.st_dev != judged.dev || st.st_ino != judged.ino || !S_ISREG(st.st_mode)) return false;
  return unlinkat(dir.fd(), name.c_str(), 0) == 0;
}

namespace {

// Field 22 of /proc/<pid>/stat (after the parenthesized comm, which may hold spaces and ')').
bool process_start_ticks(int pid, uint64_t* ticks) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) return false;
  char buf[1024];
  ssize_t n = ::read(f.fd, buf, sizeof buf - 1);
  if (n <= 0) return false;
  buf[n] = '\0';
  const char* p = strrchr(buf, ')');
  if (p == nullptr) return false;
  for (int field = 2; field < 22; ++field) {  // p sits at the end of field 2
    p = strchr(p + 1, ' ');
    if (p == nullptr) return false;
  }
  char* end = nullptr;
  *ticks = strtoull(p + 1, &end, 10);
  return end != p + 1;
}

void read_contents(int fd, int pid, const struct stat& /*st*/, Inspection& in) {
  reader::ReadOptions options;
  options.expected_pid = pid;
  reader::ReadResult r = reader::read_segment_fd(fd, options);
  if (!r.ok()) {
    if (r.error->reason == reader::Reason::kNotPublished) {
      in.verdict = Verdict::kInactive;
      return;
    }
    in.verdict = Verdict::kRejected;
    in.reason = std::string(reader::reason_name(r.error->reason));
    return;
  }
  uint64_t ticks = 0;
  if (!process_start_ticks(pid, &ticks)) {
    in.verdict = Verdict::kStale;  // exited between the checks
    in.reason = "process_gone";
    return;
  }
  if (ticks != r.snapshot.start_time_ticks) {
    in.verdict = Verdict::kStale;
    in.reason = "pid_reused";
    return;
  }
  uint32_t flags = r.snapshot.flags;
  if ((flags & HAK_SEG_FLAG_ACTIVE) == 0 || (flags & HAK_SEG_FLAG_ABANDONED) != 0) {
    in.verdict = Verdict::kInactive;
    return;
  }
  in.verdict = Verdict::kLive;
  in.snapshot = std::move(r.snapshot);
}

}  // namespace

}  // namespace hakmem::daemon
