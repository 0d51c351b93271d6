// Whether the eBPF probes run, and if not why: hakmem_bpf_up{reason} and the one log line
// that names the cause and the fix. The reasons are a fixed list (README, hakmemd, "eBPF"),
// so a dashboard or an alert can match on them.
#pragma once

#include <string>
#include <string_view>

namespace hakmem::daemon {

enum class BpfReason {
  kOk,                // loaded and attached
  kOff,               // "ebpf": "off"
  kNotBuilt,          // hakmemd built with -DHAKMEM_BPF=OFF
  kNoBtf,             // no /sys/kernel/btf/vmlinux (CO-RE relocations need it)
  kNoPermission,      // neither root nor CAP_BPF + CAP_PERFMON, or the kernel said EPERM
  kNoTracefs,         // tracefs absent and not mountable: tracepoint ids cannot be read
  kTracepointFormat,  // a syscalls tracepoint record differs from bpf/memsys.bpf.c's layout
  kMapCreate,         // the kernel refused to create a map
  kVerifier,          // the verifier refused a program
  kAttach,            // a tracepoint could not be attached
};

inline constexpr BpfReason kBpfReasons[] = {
    BpfReason::kOk,         BpfReason::kOff,          BpfReason::kNotBuilt,
    BpfReason::kNoBtf,      BpfReason::kNoPermission, BpfReason::kNoTracefs,
    BpfReason::kTracepointFormat, BpfReason::kMapCreate, BpfReason::kVerifier,
    BpfReason::kAttach};

std::string_view bpf_reason_name(BpfReason r);

struct BpfStatus {
  BpfReason reason = BpfReason::kOff;
  std::string message;  // the log line: cause and fix ("" for kOk and kOff)
  bool up() const { return reason == BpfReason::kOk; }
};

}  // namespace hakmem::daemon
