// hakmemd's log: one line per event on stderr ("hakmemd: <level>: <text>"), which systemd's
// journal or the test harness collects. Each line is one write(2), so lines from the loop
// thread and the HTTP threads never interleave. The level is global and set from the config.
#pragma once

#include <string_view>

#include "config.h"

namespace hakmem::daemon {

void set_log_level(LogLevel l);
bool log_enabled(LogLevel l);
void log_line(LogLevel l, std::string_view text);

inline void log_error(std::string_view t) { log_line(LogLevel::kError, t); }
inline void log_warn(std::string_view t) { log_line(LogLevel::kWarn, t); }
inline void log_info(std::string_view t) { log_line(LogLevel::kInfo, t); }
inline void log_debug(std::string_view t) { log_line(LogLevel::kDebug, t); }

}  // namespace hakmem::daemon
