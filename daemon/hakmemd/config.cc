// Strict validation of hakmemd.json (see config.h). Each field has one validator; the table
// kFields is the schema, so an unknown key is one that is not in it.
#include "config.h"

#include <arpa/inet.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace hakmem::daemon {

namespace {

using nlohmann::json;

constexpr uint32_t kMaxRescanSeconds = 86400;
constexpr uint32_t kMaxProcesses = 100000;
constexpr size_t kMaxPatterns = 256;
constexpr size_t kMaxPatternLength = 255;
constexpr size_t kMaxConfigBytes = 1 << 20;

struct Invalid {
  ConfigError error;
};

[[noreturn]] void fail(std::string path, std::string reason) {
  throw Invalid{ConfigError{std::move(path), std::move(reason)}};
}

const char* type_name(const json& v) {
  if (v.is_number_unsigned() || v.is_number_integer()) return "integer";
  if (v.is_number_float()) return "number";
  return v.type_name();
}

uint32_t want_uint(const json& v, const std::string& path, uint32_t lo, uint32_t hi) {
  if (!v.is_number_integer()) fail(path, std::string("expected an integer, got ") + type_name(v));
  bool in_range = v.is_number_unsigned()
                      ? v.get<uint64_t>() >= lo && v.get<uint64_t>() <= hi
                      : v.get<int64_t>() >= int64_t{lo} && v.get<int64_t>() <= int64_t{hi};
  if (!in_range)
    fail(path, "out of range: " + v.dump() + " is not in [" + std::to_string(lo) + ", " +
                   std::to_string(hi) + "]");
  return static_cast<uint32_t>(v.get<uint64_t>());
}

bool want_bool(const json& v, const std::string& path) {
  if (!v.is_boolean()) fail(path, std::string("expected a boolean, got ") + type_name(v));
  return v.get<bool>();
}

const std::string& want_string(const json& v, const std::string& path) {
  if (!v.is_string()) fail(path, std::string("expected a string, got ") + type_name(v));
  return v.get_ref<const std::string&>();
}

void set_listen(Config& c, const json& v, const std::string& path) {
  std::string reason;
  auto a = parse_listen(want_string(v, path), &reason);
  if (!a) fail(path, reason);
  c.listen = *a;
}

void set_segment_dir(Config& c, const json& v, const std::string& path) {
  const std::string& s = want_string(v, path);
  if (s.empty() || s[0] != '/') fail(path, "must be an absolute path, got \"" + s + "\"");
  if (s.size() > 1024) fail(path, "longer than 1024 bytes");
  if (s.find('\0') != std::string::npos) fail(path, "contains a NUL byte");
  c.segment_dir = s;
  while (c.segment_dir.size() > 1 && c.segment_dir.back() == '/') c.segment_dir.pop_back();
}

void set_rescan(Config& c, const json& v, const std::string& path) {
  c.rescan_interval_seconds = want_uint(v, path, 1, kMaxRescanSeconds);
}

void set_comm_filter(Config& c, const json& v, const std::string& path) {
  if (!v.is_array()) fail(path, std::string("expected an array of strings, got ") + type_name(v));
  if (v.size() > kMaxPatterns)
    fail(path, "out of range: " + std::to_string(v.size()) + " patterns, at most " +
                   std::to_string(kMaxPatterns));
  c.comm_filter.clear();
  for (size_t i = 0; i < v.size(); ++i) {
    std::string p = path + "[" + std::to_string(i) + "]";
    const std::string& s = want_string(v[i], p);
    if (s.empty()) fail(p, "an empty pattern matches nothing");
    if (s.size() > kMaxPatternLength)
      fail(p, "out of range: pattern longer than " + std::to_string(kMaxPatternLength) + " bytes");
    c.comm_filter.push_back(s);
  }
}

void set_max_processes(Config& c, const json& v, const std::string& path) {
  c.max_processes = want_uint(v, path, 1, kMaxProcesses);
}

void set_stale_cleanup(Config& c, const json& v, const std::string& path) {
  c.stale_cleanup = want_bool(v, path);
}

// `s` as one of `choices`, each named by name_of; otherwise fails with
// `unknown <what> "s" (one of: a, b, ...)`.
template <class E, size_t N>
E one_of(const std::string& s, const E (&choices)[N], std::string_view (*name_of)(E), const char* what,
         const std::string& path) {
  std::string names;
  for (E e : choices) {
    if (s == name_of(e)) return e;
    names += (names.empty() ? "" : ", ") + std::string(name_of(e));
  }
  fail(path, std::string("unknown ") + what + " \"" + s + "\" (one of: " + names + ")");
}

// true and false were the key's values before the probes existed; they stay valid.
void set_ebpf(Config& c, const json& v, const std::string& path) {
  if (v.is_boolean()) {
    c.ebpf = v.get<bool>() ? BpfMode::kTracked : BpfMode::kOff;
    return;
  }
  if (!v.is_string())
    fail(path, std::string("expected \"off\", \"tracked\" or \"all\" (or a boolean), got ") +
                   type_name(v));
  constexpr BpfMode kModes[] = {BpfMode::kOff, BpfMode::kTracked, BpfMode::kAll};
  c.ebpf = one_of(v.get_ref<const std::string&>(), kModes, bpf_mode_name, "mode", path);
}

void set_export(Config& c, const json& v, const std::string& path) {
  if (!v.is_string())
    fail(path, std::string("expected \"processes\", \"aggregates\" or \"both\", got ") + type_name(v));
  constexpr ExportMode kModes[] = {ExportMode::kProcesses, ExportMode::kAggregates, ExportMode::kBoth};
  c.export_mode = one_of(v.get_ref<const std::string&>(), kModes, export_mode_name, "mode", path);
}

void set_log_level(Config& c, const json& v, const std::string& path) {
  constexpr LogLevel kLevels[] = {LogLevel::kError, LogLevel::kWarn, LogLevel::kInfo, LogLevel::kDebug};
  c.log_level = one_of(want_string(v, path), kLevels, log_level_name, "log level", path);
}

struct HttpField {
  const char* key;
  uint32_t HttpLimits::*value;
  uint32_t lo, hi;
};

// The bounds are what one client may cost: a thread is never held by a client (sockets are
// asynchronous), so `threads` only sets how many scrapes render at once; the unit file's
// TasksMax (config/hakmemd.service) allows main + 8 serving threads.
constexpr HttpField kHttpFields[] = {
    {"threads", &HttpLimits::threads, 1, 8},
    {"max_connections", &HttpLimits::max_connections, 1, 4096},
    {"header_timeout_seconds", &HttpLimits::header_timeout_seconds, 1, 300},
    {"idle_timeout_seconds", &HttpLimits::idle_timeout_seconds, 1, 3600},
    {"write_timeout_seconds", &HttpLimits::write_timeout_seconds, 1, 600},
    {"max_requests_per_connection", &HttpLimits::max_requests_per_connection, 1, 1000000},
    {"max_request_bytes", &HttpLimits::max_request_bytes, 1024, 65536},
    {"send_buffer_bytes", &HttpLimits::send_buffer_bytes, 4096, 16777216},
};

template <typename Table>
[[noreturn]] void fail_unknown(const std::string& path, const Table& table) {
  std::string known;
  for (const auto& k : table) known += (known.empty() ? "" : ", ") + std::string(k.key);
  fail(path, "unknown key (known: " + known + ")");
}

void set_http(Config& c, const json& v, const std::string& path) {
  if (!v.is_object()) fail(path, std::string("expected an object, got ") + type_name(v));
  HttpLimits limits;
  for (const auto& [key, value] : v.items()) {
    const HttpField* f = nullptr;
    for (const HttpField& candidate : kHttpFields)
      if (key == candidate.key) f = &candidate;
    if (f == nullptr) fail_unknown(path + "." + key, kHttpFields);
    limits.*(f->value) = want_uint(value, path + "." + key, f->lo, f->hi);
  }
  c.http = limits;
}

struct Field {
  const char* key;
  void (*set)(Config&, const json&, const std::string&);
};

constexpr Field kFields[] = {
    {"listen", set_listen},
    {"segment_dir", set_segment_dir},
    {"rescan_interval_seconds", set_rescan},
    {"comm_filter", set_comm_filter},
    {"max_processes", set_max_processes},
    {"stale_cleanup", set_stale_cleanup},
    {"ebpf", set_ebpf},
    {"export", set_export},
    {"log_level", set_log_level},
    {"http", set_http},
};

// nlohmann keeps the last of duplicate keys silently; a strict config refuses them, naming
// the key's path ("$.http.threads"; arrays hold no objects in this schema).
json parse_rejecting_duplicates(std::string_view text) {
  struct Frame {
    std::set<std::string> seen;
    std::string key;  // the key being parsed in this object
  };
  std::vector<Frame> frames;
  std::string duplicate;
  json::parser_callback_t cb = [&](int /*depth*/, json::parse_event_t ev, json& parsed) {
    switch (ev) {
      case json::parse_event_t::object_start:
        frames.emplace_back();
        break;
      case json::parse_event_t::object_end:
        frames.pop_back();
        break;
      case json::parse_event_t::key: {
        Frame& f = frames.back();
        f.key = parsed.get_ref<const std::string&>();
        if (!f.seen.insert(f.key).second && duplicate.empty()) {
          duplicate = "$";
          for (const Frame& outer : frames) duplicate += "." + outer.key;
        }
        break;
      }
      default:
        break;
    }
    return true;
  };
  json doc = json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/true,
                         /*ignore_comments=*/false);
  if (!duplicate.empty()) fail(duplicate, "duplicate key");
  return doc;
}

}  // namespace

std::string_view bpf_mode_name(BpfMode m) {
  switch (m) {
    case BpfMode::kOff: return "off";
    case BpfMode::kTracked: return "tracked";
    case BpfMode::kAll: return "all";
  }
  return "off";
}

std::string_view export_mode_name(ExportMode m) {
  switch (m) {
    case ExportMode::kProcesses: return "processes";
    case ExportMode::kAggregates: return "aggregates";
    case ExportMode::kBoth: return "both";
  }
  return "processes";
}

std::string_view log_level_name(LogLevel l) {
  switch (l) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
  }
  return "info";
}

std::string ListenAddress::text() const {
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<ListenAddress> parse_listen(std::string_view text, std::string* reason) {
  ListenAddress a;
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      *reason = "expected \"[ipv6]:port\", got \"" + std::string(text) + "\"";
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    a.ipv6 = true;
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      *reason = "expected \"host:port\", got \"" + std::string(text) + "\"";
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  a.host = std::string(host);
  unsigned char buf[16];
  if (inet_pton(a.ipv6 ? AF_INET6 : AF_INET, a.host.c_str(), buf) != 1) {
    *reason = "\"" + a.host + "\" is not a numeric " + (a.ipv6 ? "IPv6" : "IPv4") + " address";
    return std::nullopt;
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != port.npos) {
    *reason = "port \"" + std::string(port) + "\" is not a number";
    return std::nullopt;
  }
  unsigned long p = std::stoul(std::string(port));
  if (p > 65535) {
    *reason = "out of range: port " + std::to_string(p) + " is not in [0, 65535]";
    return std::nullopt;
  }
  a.port = static_cast<uint16_t>(p);
  return a;
}

ConfigResult parse_config(std::string_view text) {
  ConfigResult r;
  try {
    json doc = parse_rejecting_duplicates(text);
    if (!doc.is_object())
      fail("$", std::string("expected an object, got ") + type_name(doc));
    Config c;
    for (const auto& [key, value] : doc.items()) {
      const Field* f = nullptr;
      for (const Field& candidate : kFields)
        if (key == candidate.key) f = &candidate;
      if (f == nullptr) fail_unknown("$." + key, kFields);
      f->set(c, value, "$." + key);
    }
    r.config = std::move(c);
  } catch (const Invalid& e) {
    r.error = e.error;
  } catch (const json::exception& e) {
    // Not just parse_error: a number beyond a double's range ("1e999") is out_of_range.406,
    // which used to escape parse_config and terminate hakmemd (at start, or on a SIGHUP
    // reload). e.what() reads "[json.exception.parse_error.101] parse error at line 3, ...".
    std::string what = e.what();
    size_t at = what.find("] ");
    r.error = ConfigError{"$", "not valid JSON: " + (at == what.npos ? what : what.substr(at + 2))};
  }
  return r;
}

ConfigResult load_config_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return ConfigResult{std::nullopt, ConfigError{file, "cannot open: " +
                                                            std::string(strerror(errno))}};
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  if (s.size() > kMaxConfigBytes)
    return ConfigResult{std::nullopt, ConfigError{file, "larger than 1 MiB"}};
  ConfigResult r = parse_config(s);
  if (!r.config) r.error.path = file + ": " + r.error.path;
  return r;
}

std::vector<std::string> describe(const Config& c) {
  std::string filter;
  for (const auto& p : c.comm_filter) filter += (filter.empty() ? "" : ",") + p;
  std::vector<std::string> lines = {
      "listen=" + c.listen.text(),
      "segment_dir=" + c.segment_dir,
      "rescan_interval_seconds=" + std::to_string(c.rescan_interval_seconds),
      "comm_filter=" + (filter.empty() ? std::string("*") : filter),
      "max_processes=" + std::to_string(c.max_processes),
      "stale_cleanup=" + std::string(c.stale_cleanup ? "true" : "false"),
      "ebpf=" + std::string(bpf_mode_name(c.ebpf)),
      "export=" + std::string(export_mode_name(c.export_mode)),
      "log_level=" + std::string(log_level_name(c.log_level)),
  };
  for (const HttpField& f : kHttpFields)
    lines.push_back("http." + std::string(f.key) + "=" + std::to_string(c.http.*(f.value)));
  return lines;
}

}  // namespace hakmem::daemon
