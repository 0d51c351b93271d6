// See bpf_preflight.h.
#include "bpf_preflight.h"

#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "log.h"

namespace hakmem::daemon {

namespace {

constexpr const char* kBtf = "/sys/kernel/btf/vmlinux";
constexpr const char* kTracefs = "/sys/kernel/tracing";
// libbpf reads tracepoint ids from debugfs's copy whenever that directory exists, else from
// tracefs (libbpf 1.1, tracefs_path()); the check looks where libbpf will look.
constexpr const char* kDebugfsTracing = "/sys/kernel/debug/tracing";

constexpr int kCapSysAdmin = 21;
constexpr int kCapPerfmon = 38;
constexpr int kCapBpf = 39;

struct Capabilities {
  __u32 effective[2] = {0, 0};
  bool has(int cap) const { return (effective[cap / 32] >> (cap % 32)) & 1u; }
};

Capabilities effective_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  Capabilities caps;
  if (syscall(SYS_capget, &header, data) == 0) {
    caps.effective[0] = data[0].effective;
    caps.effective[1] = data[1].effective;
  }
  return caps;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

BpfStatus fail(BpfReason r, std::string message) { return BpfStatus{r, std::move(message)}; }

// The syscalls tracepoints and how many leading arguments memsys.bpf.c reads from each.
struct Traced {
  const char* name;
  int args_read;
};
constexpr Traced kTraced[] = {{"mmap", 2}, {"munmap", 2}, {"mremap", 3}, {"madvise", 3}, {"brk", 1}};

std::optional<BpfStatus> check_formats(const std::string& root) {
  for (const Traced& t : kTraced) {
    for (const char* side : {"enter", "exit"}) {
      std::string path = root + "/events/syscalls/sys_" + side + "_" + t.name + "/format";
      std::string text = read_file(path);
      if (text.empty())
        return fail(BpfReason::kTracepointFormat,
                    "eBPF probes not loaded: cannot read " + path +
                        " (a kernel without CONFIG_FTRACE_SYSCALLS has no syscalls tracepoints)");
      bool ok = format_has_field(text, "__syscall_nr", 8, 4);
      if (side == std::string_view("enter")) {
        for (int i = 0; i < t.args_read; ++i) ok = ok && format_has_field(text, "", 16 + 8 * i, 8);
      } else {
        ok = ok && format_has_field(text, "ret", 16, 8);
      }
      if (!ok)
        return fail(BpfReason::kTracepointFormat,
                    "eBPF probes not loaded: " + path +
                        " does not have the layout bpf/memsys.bpf.c reads (syscall number at 8, "
                        "arguments or return value from 16, 8 bytes each); report this kernel");
    }
  }
  return std::nullopt;
}

}  // namespace

bool format_has_field(const std::string& format_text, const std::string& field, int offset,
                      int size) {
  std::istringstream in(format_text);
  std::string line;
  const std::string want_offset = "offset:" + std::to_string(offset) + ";";
  const std::string want_size = "size:" + std::to_string(size) + ";";
  while (std::getline(in, line)) {
    size_t f = line.find("field:");
    if (f == std::string::npos) continue;
    size_t semi = line.find(';', f);
    if (semi == std::string::npos) continue;
    std::string decl = line.substr(f + 6, semi - f - 6);  // "TYPE NAME"
    size_t space = decl.find_last_of(" *");
    std::string name = space == std::string::npos ? decl : decl.substr(space + 1);
    if (!field.empty() && name != field) continue;
    if (line.find(want_offset) != std::string::npos && line.find(want_size) != std::string::npos)
      return true;
  }
  return false;
}

std::string tracefs_events_root() {
  const char* root = access(kDebugfsTracing, F_OK) == 0 ? kDebugfsTracing : kTracefs;
  std::string probe = std::string(root) + "/events/syscalls";
  return access(probe.c_str(), F_OK) == 0 ? root : "";
}

std::optional<BpfStatus> bpf_preflight() {
  if (access(kBtf, R_OK) != 0)
    return fail(BpfReason::kNoBtf,
                std::string("eBPF probes not loaded: no kernel BTF at ") + kBtf + " (" +
                    strerror(errno) +
                    "); the probes read two task fields through CO-RE and need a kernel built "
                    "with CONFIG_DEBUG_INFO_BTF=y");

  Capabilities caps = effective_capabilities();
  bool admin = caps.has(kCapSysAdmin);
  if (!admin && !(caps.has(kCapBpf) && caps.has(kCapPerfmon)))
    return fail(BpfReason::kNoPermission,
                "eBPF probes not loaded: hakmemd has neither CAP_SYS_ADMIN nor CAP_BPF + "
                "CAP_PERFMON; run it as root or grant them (AmbientCapabilities=CAP_BPF "
                "CAP_PERFMON in config/hakmemd.service), or set \"ebpf\": \"off\"");

  std::string root = tracefs_events_root();
  if (root.empty()) {
    if (!admin)
      return fail(BpfReason::kNoTracefs,
                  std::string("eBPF probes not loaded: tracefs is not mounted and hakmemd lacks "
                              "CAP_SYS_ADMIN to mount it; mount it first: mount -t tracefs "
                              "nodev ") + kTracefs);
    if (mount("nodev", kTracefs, "tracefs", 0, nullptr) != 0)
      return fail(BpfReason::kNoTracefs,
                  std::string("eBPF probes not loaded: tracefs is not mounted and mounting it "
                              "at ") + kTracefs + " failed (" + strerror(errno) +
                      "); mount it first: mount -t tracefs nodev " + kTracefs);
    log_info(std::string("mounted tracefs at ") + kTracefs + " (it was not mounted)");
    root = tracefs_events_root();
    if (root.empty())
      return fail(BpfReason::kNoTracefs,
                  std::string("eBPF probes not loaded: tracefs mounted at ") + kTracefs +
                      " has no events/syscalls (a kernel without CONFIG_FTRACE_SYSCALLS)");
  }
  return check_formats(root);
}

}  // namespace hakmem::daemon
