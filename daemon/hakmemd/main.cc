// hakmemd: serves the telemetry segments of every live HAKMEM process on the host as
// Prometheus metrics. Wiring only: arguments, config, then the loop (daemon_loop.h).
//
// Exit codes: 0 stopped by SIGTERM/SIGINT (or --check-config accepted the file),
// 1 a start-up failure of the host (directory unusable, cannot listen),
// 2 a usage or configuration error (message names the key's path and the reason).
#include <malloc.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "config.h"
#include "daemon_loop.h"
#include "log.h"
#include "version.h"

namespace {

constexpr const char* kUsage =
    "usage: hakmemd [--config FILE]\n"
    "       hakmemd --check-config FILE\n"
    "       hakmemd --version\n"
    "Serves /metrics for every live HAKMEM process (see README, section hakmemd).\n";

int usage_error(const std::string& what) {
  fprintf(stderr, "hakmemd: %s\n%s", what.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace hakmem::daemon;
  std::string config_file;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--config" || a == "--check-config") {
      if (i + 1 >= argc) return usage_error(a + " needs a FILE");
      if (!config_file.empty()) return usage_error("more than one config file given");
      config_file = argv[++i];
      check_only = a == "--check-config";
    } else if (a == "--version") {
      printf("hakmemd %s (segment ABI %d.%d)\n", kVersion, kAbiMajor, kAbiMinor);
      return 0;
    } else if (a == "--help" || a == "-h") {
      fputs(kUsage, stdout);
      return 0;
    } else {
      return usage_error("unknown argument \"" + a + "\"");
    }
  }

  Config config;
  if (!config_file.empty()) {
    ConfigResult r = load_config_file(config_file);
    if (!r.config) {
      fprintf(stderr, "hakmemd: config error: %s\n", r.error.message().c_str());
      return 2;
    }
    config = *r.config;
  }
  if (check_only) {
    printf("%s: ok\n", config_file.c_str());
    return 0;
  }
  // Each scrape allocates and frees a few MiB of short-lived buffers (segment reads of ~360 KiB,
  // the families, the text). Above glibc's mmap threshold each would be mapped, faulted in and
  // unmapped again at every scrape; keep them on the heap and let the heap keep its top.
  mallopt(M_MMAP_THRESHOLD, 16 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  set_log_level(config.log_level);
  log_info(std::string("hakmemd ") + kVersion + " starting, segments in " + config.segment_dir);
  DaemonLoop loop(config, config_file);
  return loop.run();
}
