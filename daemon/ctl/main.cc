// hakmemctl: reads the telemetry segments of HAKMEM processes (see daemon/reader) and shows
// them: list, stat, top, snapshot, compare. Dispatches to the command and maps usage errors
// to exit code 2; the commands themselves live in cmd_*.cc.
#include <cstring>
#include <iostream>

#include "args.h"
#include "commands.h"
#include "hakmem/telemetry_abi.h"

namespace {

constexpr const char* kUsage = R"(usage: hakmemctl COMMAND [ARGS]

Reads the telemetry segments that HAKMEM processes publish in $HAKMEM_STATS_DIR (default
/dev/shm), one file hakmem.<pid> per process.

commands:
  list [--clean] [--dir D]
      Processes with a segment: pid, comm, uptime, ABI version, state. Segments of processes
      that are gone (or whose pid was reused) are listed as stale; --clean removes them (only
      regular files that this user may remove).
  stat PID [--json] [--dir D] [--daemon ADDR]
      Per size class with activity: allocations, frees, remote frees, live bytes, slabs in use;
      per refill path its hit rate (its share of the class's refilled objects, in %) and
      objects per refill; the lock table; occupancy and OS calls; the HAKMEM_* settings; and
      the kernel's count of the same calls beside the allocator's, with what the allocator did
      not make, asked from hakmemd at ADDR (default 127.0.0.1:9464; "off" skips it).
      --json prints the snapshot document instead.
  top [PID...] [--interval S] [--iterations N] [--rows R] [--dir D]
      Live view of all (or the given) processes, refreshed every S seconds (default 2),
      classes sorted by the operations (allocs + frees) since the previous refresh.
      N refreshes then exit (default: until interrupted).
  snapshot PID [--dir D]
      The snapshot document (JSON) on stdout: hakmemctl snapshot 1234 > before.json
  compare A B [--dir D]
      A and B are each a pid or a snapshot file. Per class, the refill-path hit rates of A and
      B side by side with their difference (B - A, in percentage points), then the HAKMEM_*
      settings that differ.

exit codes:
  0  success
  1  runtime failure: no segment for the pid, a rejected or stale segment (the reason is
     named), an unreadable or invalid snapshot file (the JSON path is named), an unreadable
     directory, a stale segment that could not be removed
  2  usage error: unknown command or option, a missing or malformed argument
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace hakmem::ctl;
  if (argc < 2) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::cout << kUsage;
    return kExitOk;
  }
  if (cmd == "--version") {
    std::cout << "hakmemctl (segment ABI " << HAK_SEG_ABI_MAJOR << "." << HAK_SEG_ABI_MINOR << ")\n";
    return kExitOk;
  }
  struct {
    const char* name;
    int (*run)(int, char**);
  } const commands[] = {{"list", cmd_list}, {"stat", cmd_stat}, {"top", cmd_top},
                        {"snapshot", cmd_snapshot}, {"compare", cmd_compare}};
  for (const auto& c : commands) {
    if (cmd != c.name) continue;
    for (int i = 2; i < argc; ++i) {
      if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
        std::cout << kUsage;
        return kExitOk;
      }
    }
    try {
      return c.run(argc - 2, argv + 2);
    } catch (const UsageError& e) {
      std::cerr << "hakmemctl " << cmd << ": " << e.what() << " (hakmemctl --help)\n";
      return kExitUsage;
    }
  }
  std::cerr << "hakmemctl: unknown command '" << cmd << "' (hakmemctl --help)\n";
  return kExitUsage;
}
