// What must hold before the probes are loaded, checked in the order an operator fixes them,
// each failure one BpfStatus with the cause and the fix: kernel BTF, privileges (root or
// CAP_BPF + CAP_PERFMON), tracefs (mounted here when missing and hakmemd may mount), and the
// syscalls tracepoints' record layouts against the ones bpf/memsys.bpf.c reads.
#pragma once

#include <optional>
#include <string>

#include "bpf_status.h"

namespace hakmem::daemon {

// nullopt: everything holds and the probes may be loaded.
std::optional<BpfStatus> bpf_preflight();

// The tracefs directory that holds events/syscalls (/sys/kernel/tracing, or debugfs's
// tracing directory on older systems); "" when neither has it.
std::string tracefs_events_root();

// Checks one tracepoint format file's text: the field `field` at `offset` with `size`.
bool format_has_field(const std::string& format_text, const std::string& field, int offset,
                      int size);

}  // namespace hakmem::daemon
