// See bpf_status.h.
#include "bpf_status.h"

namespace hakmem::daemon {

std::string_view bpf_reason_name(BpfReason r) {
  switch (r) {
    case BpfReason::kOk: return "ok";
    case BpfReason::kOff: return "off";
    case BpfReason::kNotBuilt: return "not_built";
    case BpfReason::kNoBtf: return "no_btf";
    case BpfReason::kNoPermission: return "no_permission";
    case BpfReason::kNoTracefs: return "no_tracefs";
    case BpfReason::kTracepointFormat: return "tracepoint_format";
    case BpfReason::kMapCreate: return "map_create";
    case BpfReason::kVerifier: return "verifier";
    case BpfReason::kAttach: return "attach";
  }
  return "off";
}

}  // namespace hakmem::daemon
