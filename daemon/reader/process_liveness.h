// Is the process behind a segment still the one that wrote it? A pid names the process only
// together with its start time (field 22 of /proc/<pid>/stat, in clock ticks since boot): the
// segment records it, so a recycled pid is told apart from the writer. Reads /proc only.
// Thread-safe: no shared state.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace hakmem::reader {

enum class Liveness {
  kLive,       // the pid exists and started when the segment says
  kGone,       // no such process: the segment is stale
  kPidReused,  // the pid exists but started at another time: stale too
  kUnknown,    // /proc could not be read (hidepid?): neither live nor stale
};

std::string_view liveness_name(Liveness l);  // "live", "gone", "pid_reused", "unknown"

struct ProcStat {
  uint64_t start_ticks = 0;  // field 22
  char state = '?';          // field 3: R, S, D, T (stopped by a signal), t (tracing stop), ...
  // Stopped by a signal or a debugger: it runs no code until continued.
  bool stopped() const { return state == 'T' || state == 't'; }
};

// Fields 3 and 22 of /proc/<pid>/stat; nullopt when the process does not exist or the file
// cannot be parsed (`gone` says which: true when /proc/<pid> is absent).
std::optional<ProcStat> process_stat(int pid, bool* gone = nullptr);
// Field 22 alone.
std::optional<uint64_t> process_start_ticks(int pid, bool* gone = nullptr);
// Owner of /proc/<pid> (the process's real uid), nullopt when it is gone or unreadable.
std::optional<uid_t> process_uid(int pid);
// Seconds since a process that started `start_time_ticks` after boot began; 0 if unknown.
double process_uptime_seconds(uint64_t start_time_ticks);

}  // namespace hakmem::reader
