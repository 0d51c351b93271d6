// See process_liveness.h.
#include "reader/process_liveness.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace hakmem::reader {

namespace {

// The whole of a small /proc file; false if it cannot be read (errno kept).
bool read_small_file(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[1024];
  out->clear();
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out->append(buf, static_cast<std::size_t>(n));
    if (out->size() > 64 * 1024) break;
  }
  int saved = errno;
  close(fd);
  errno = saved;
  return true;
}

}  // namespace

std::string_view liveness_name(Liveness l) {
  switch (l) {
    case Liveness::kLive: return "live";
    case Liveness::kGone: return "gone";
    case Liveness::kPidReused: return "pid_reused";
    case Liveness::kUnknown: break;
  }
  return "unknown";
}

std::optional<ProcStat> process_stat(int pid, bool* gone) {
  if (gone != nullptr) *gone = false;
  if (pid <= 0) {
    if (gone != nullptr) *gone = true;
    return std::nullopt;
  }
  std::string text;
  if (!read_small_file("/proc/" + std::to_string(pid) + "/stat", &text)) {
    if (gone != nullptr) *gone = errno == ENOENT || errno == ESRCH;
    return std::nullopt;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and ')', so count from the last ')'.
  std::size_t close_paren = text.rfind(')');
  if (close_paren == std::string::npos) return std::nullopt;
  const char* p = text.c_str() + close_paren + 1;
  ProcStat st;
  while (*p == ' ') ++p;
  if (*p == '\0') return std::nullopt;
  st.state = *p;
  for (int field = 3; field < 22; ++field) {  // skip fields 3..21
    while (*p == ' ') ++p;
    while (*p != ' ' && *p != '\0') ++p;
  }
  while (*p == ' ') ++p;
  if (*p < '0' || *p > '9') return std::nullopt;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = strtoull(p, &end, 10);
  if (errno != 0 || (*end != ' ' && *end != '\0' && *end != '\n')) return std::nullopt;
  st.start_ticks = v;
  return st;
}

std::optional<uint64_t> process_start_ticks(int pid, bool* gone) {
  std::optional<ProcStat> st = process_stat(pid, gone);
  if (!st) return std::nullopt;
  return st->start_ticks;
}

std::optional<uid_t> process_uid(int pid) {
  struct stat st;
  if (pid <= 0 || stat(("/proc/" + std::to_string(pid)).c_str(), &st) != 0) return std::nullopt;
  return st.st_uid;
}

double process_uptime_seconds(uint64_t start_time_ticks) {
  std::string text;
  long hz = sysconf(_SC_CLK_TCK);
  if (hz <= 0 || !read_small_file("/proc/uptime", &text)) return 0.0;
  double since_boot = strtod(text.c_str(), nullptr);
  double started = static_cast<double>(start_time_ticks) / static_cast<double>(hz);
  return since_boot > started ? since_boot - started : 0.0;
}

}  // namespace hakmem::reader
