// hakmemd's configuration: the strict JSON schema of config/hakmemd.json and its defaults.
//
// parse_config() accepts a document only if every key is known, every value has the right
// type and lies in its range; otherwise it returns the first problem as a ConfigError whose
// `path` names the key the way a reader finds it in the file (`$.comm_filter[2]`). A missing
// key keeps its default, so `{}` is a valid config. Called by main (start-up, --check-config)
// and by the loop on SIGHUP, which keeps the old Config when the new one is refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hakmem::daemon {

enum class LogLevel { kError, kWarn, kInfo, kDebug };

// What the eBPF probes count (README, hakmemd, "eBPF"): nothing, the processes whose
// segments are exported, or every process on the host.
enum class BpfMode { kOff, kTracked, kAll };

// What /metrics serves of the processes (README "Beyond one host"): the per-process hakmem_*
// families, the per-comm hakmem_comm_* aggregates (aggregates.h), or both.
enum class ExportMode { kProcesses, kAggregates, kBoth };

// A parsed listen address: IPv4 "a.b.c.d:port" or IPv6 "[addr]:port". Port 0 asks the
// kernel for a free port (the daemon logs the one it got), which the tests use.
struct ListenAddress {
  std::string host;  // as written, without brackets
  uint16_t port = 9464;
  bool ipv6 = false;
  std::string text() const;  // "host:port" or "[v6]:port"
  bool operator==(const ListenAddress&) const = default;
};

// The HTTP server's bounds (hakmemd.json "http"; README, hakmemd, "Serving limits"). Each
// is what one misbehaving client can cost the daemon at most.
struct HttpLimits {
  uint32_t threads = 2;                       // serving threads: scrapes rendered at once
  uint32_t max_connections = 64;              // open at once; at the cap the connection that
                                              // has waited longest for its request goes
  uint32_t header_timeout_seconds = 5;        // accept, or a request's first byte, to the
                                              // end of its headers
  uint32_t idle_timeout_seconds = 30;         // keep-alive: end of a response to the next
                                              // request's first byte
  uint32_t write_timeout_seconds = 10;        // one whole response
  uint32_t max_requests_per_connection = 100; // keep-alive requests before the server closes
  uint32_t max_request_bytes = 8192;          // request line and headers (no bodies accepted)
  uint32_t send_buffer_bytes = 262144;        // SO_SNDBUF of a connection: the kernel memory
                                              // a client that does not read can pin

  bool operator==(const HttpLimits&) const = default;
};

struct Config {
  ListenAddress listen{"127.0.0.1", 9464, false};
  std::string segment_dir = "/dev/shm";
  uint32_t rescan_interval_seconds = 10;
  std::vector<std::string> comm_filter;  // fnmatch(3) patterns on comm; empty: every process
  uint32_t max_processes = 1024;
  bool stale_cleanup = true;
  BpfMode ebpf = BpfMode::kTracked;  // "off" | "tracked" | "all"; true/false mean tracked/off
  ExportMode export_mode = ExportMode::kProcesses;  // "export": "processes" | "aggregates" | "both"
  LogLevel log_level = LogLevel::kInfo;
  HttpLimits http;

  bool operator==(const Config&) const = default;
};

struct ConfigError {
  std::string path;    // "$" for the document itself, else "$.key" / "$.key[i]"
  std::string reason;
  std::string message() const { return path + ": " + reason; }
};

// Either a Config or the reason there is none.
struct ConfigResult {
  std::optional<Config> config;
  ConfigError error;
};

ConfigResult parse_config(std::string_view json_text);
ConfigResult load_config_file(const std::string& file);

// "key=value" lines of the effective config, for the start-up log.
std::vector<std::string> describe(const Config& c);

std::string_view log_level_name(LogLevel l);
std::string_view bpf_mode_name(BpfMode m);  // "off", "tracked", "all"
std::string_view export_mode_name(ExportMode m);  // "processes", "aggregates", "both"

// Accepts "host:port" or "[v6]:port"; nullopt with `reason` set when malformed.
std::optional<ListenAddress> parse_listen(std::string_view text, std::string* reason);

}  // namespace hakmem::daemon
