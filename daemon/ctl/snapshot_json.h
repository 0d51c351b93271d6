// A Snapshot as JSON: what `hakmemctl snapshot` saves, `stat --json` prints and `compare`
// loads back. Names (paths, locks, stages, ...) are the ABI's label values; derived values
// (live_bytes, cache_capacity_bytes, hit_rate_percent, objects_per_refill) are written for
// people and scripts and ignored when loading. Only classes with activity are written; the
// others load as zero.
//
//   {"format": "hakmem-snapshot", "format_version": 1, "pid", "comm", "abi_major",
//    "abi_minor", "flags", "start_time_ticks", "created_ns", "update_ns", "generation",
//    "taken_ns", "settings": {NAME: VALUE}, "classes": [{"class", "size", "allocs", "frees",
//    "remote_frees", "live_bytes", "slabs_in_use", "inherited_blocks" (ABI minor 4 on),
//    "cache_capacity" (blocks), "cache_capacity_bytes", "cache_resizes": {DIRECTION: n}
//    (ABI minor 5 on), "refills": {PATH: n},
//    "refill_objects": {PATH: n}, "hit_rate_percent": {PATH: x},
//    "objects_per_refill": {PATH: x}}], "locks": {LOCK: {COUNTER: n}},
//    "process": {SCALAR: n, "pool_acquires": {STAGE: n}, "pool_releases": {KIND: n} (kind
//    "reclaim" ABI minor 6 on; "locks" has "heap" from minor 6 on),
//    "superslabs": {STATE: n}, "os_calls": {CALL: n}, "os_bytes": {CALL: n},
//    "resident_bytes": n (ABI minor 4 on), "span_cache_bytes": n,
//    "span_cache_events": {EVENT: n} (ABI minor 5 on), "peak": {"resident_bytes": n,
//    "mapped_bytes": n, "live_bytes": n} (ABI minor 6 on)},
//    "slots": {"total": n, "live": n}}
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "reader/snapshot.h"

namespace hakmem::ctl {

inline constexpr const char* kSnapshotFormat = "hakmem-snapshot";
inline constexpr int kSnapshotFormatVersion = 1;

nlohmann::ordered_json snapshot_to_json(const reader::Snapshot& s);
// The document as text. Strings from a segment (comm, settings) may hold any bytes: invalid
// UTF-8 is replaced (U+FFFD), never an exception.
std::string snapshot_text(const nlohmann::ordered_json& j);

// Parses a document written by snapshot_to_json. On failure returns false with `error`
// naming the JSON path that failed and why: "$.classes[2].allocs: expected an unsigned integer".
bool snapshot_from_json(const nlohmann::json& j, reader::Snapshot* out, std::string* error);

}  // namespace hakmem::ctl
