// libFuzzer target for hakmemd's JSON config (daemon/hakmemd/config.cc): any bytes are a file an
// operator may have written. Oracles besides the sanitizers: parse_config returns a Config or an
// error, never both, never neither; an error names a JSON path ("$..." ) and a reason; an
// accepted Config has every value in its documented range (hakmemd.json's keys, README
// "hakmemd"), describe() gives one "key=value" line per key, and the Config written back as
// JSON parses to the same Config (so nothing the parser accepts is something it cannot say).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config.h"

namespace {

using namespace hakmem::daemon;

void require(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "config_fuzz: %s\n", what);
    abort();
  }
}

bool in(uint32_t v, uint32_t lo, uint32_t hi) { return v >= lo && v <= hi; }

// The ranges config.cc documents for each key, restated here as the oracle.
void check_ranges(const Config& c) {
  require(in(c.rescan_interval_seconds, 1, 86400), "rescan_interval_seconds out of range");
  require(in(c.max_processes, 1, 100000), "max_processes out of range");
  require(c.comm_filter.size() <= 256, "more than 256 comm patterns");
  for (const std::string& p : c.comm_filter) require(!p.empty() && p.size() <= 255, "bad comm pattern");
  const std::string& d = c.segment_dir;
  require(!d.empty() && d[0] == '/' && d.size() <= 1024, "segment_dir not absolute or too long");
  require(d.size() == 1 || d.back() != '/', "segment_dir keeps a trailing slash");
  require(d.find('\0') == std::string::npos, "segment_dir holds a NUL");
  require(!c.listen.host.empty(), "listen without a host");
  const HttpLimits& h = c.http;
  require(in(h.threads, 1, 8) && in(h.max_connections, 1, 4096) && in(h.header_timeout_seconds, 1, 300) &&
              in(h.idle_timeout_seconds, 1, 3600) && in(h.write_timeout_seconds, 1, 600) &&
              in(h.max_requests_per_connection, 1, 1000000) && in(h.max_request_bytes, 1024, 65536) &&
              in(h.send_buffer_bytes, 4096, 16777216),
          "an http limit out of range");
}

nlohmann::json as_json(const Config& c) {
  nlohmann::json j = {
      {"listen", c.listen.text()},
      {"segment_dir", c.segment_dir},
      {"rescan_interval_seconds", c.rescan_interval_seconds},
      {"comm_filter", c.comm_filter},
      {"max_processes", c.max_processes},
      {"stale_cleanup", c.stale_cleanup},
      {"ebpf", bpf_mode_name(c.ebpf)},
      {"export", export_mode_name(c.export_mode)},
      {"log_level", log_level_name(c.log_level)},
      {"http",
       {{"threads", c.http.threads},
        {"max_connections", c.http.max_connections},
        {"header_timeout_seconds", c.http.header_timeout_seconds},
        {"idle_timeout_seconds", c.http.idle_timeout_seconds},
        {"write_timeout_seconds", c.http.write_timeout_seconds},
        {"max_requests_per_connection", c.http.max_requests_per_connection},
        {"max_request_bytes", c.http.max_request_bytes},
        {"send_buffer_bytes", c.http.send_buffer_bytes}}},
  };
  return j;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ConfigResult r = parse_config(text);
  if (!r.config) {
    require(!r.error.reason.empty(), "refused without a reason");
    require(!r.error.path.empty() && r.error.path[0] == '$', "refused without a JSON path");
    return 0;
  }
  require(r.error.reason.empty(), "accepted, and an error too");
  const Config& c = *r.config;
  check_ranges(c);
  std::vector<std::string> lines = describe(c);
  require(lines.size() == 17, "describe() is not one line per key");
  for (const std::string& l : lines) require(l.find('=') != std::string::npos, "describe() line without '='");
  // The segment dir and patterns are the file's bytes, which may be invalid UTF-8: dump
  // replaces, and only a Config that dumps unchanged must round-trip.
  std::string back = as_json(c).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  ConfigResult again = parse_config(back);
  bool utf8_clean = as_json(c).dump(-1, ' ', false, nlohmann::json::error_handler_t::ignore) == back;
  if (utf8_clean) {
    require(again.config.has_value(), "the accepted Config, written back, is refused");
    require(*again.config == c, "the accepted Config, written back, parses differently");
  }
  return 0;
}
