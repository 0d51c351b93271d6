// See log.h.
#include "log.h"

#include <unistd.h>

#include <atomic>
#include <string>

namespace hakmem::daemon {

namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
}

void set_log_level(LogLevel l) { g_level.store(static_cast<int>(l), std::memory_order_relaxed); }

bool log_enabled(LogLevel l) {
  return static_cast<int>(l) <= g_level.load(std::memory_order_relaxed);
}

void log_line(LogLevel l, std::string_view text) {
  if (!log_enabled(l)) return;
  std::string line = "hakmemd: ";
  line += log_level_name(l);
  line += ": ";
  line += text;
  line += '\n';
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = write(STDERR_FILENO, p, left);
    if (n <= 0) return;  // nowhere to log: nothing better to do
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace hakmem::daemon
