// Internal to the reader: where a segment's records and nested arrays are, computed from the
// writer's header, and the structural checks made before any section is read.
//
// Nested arrays are sized by the header's num_* values, not by this reader's constants: in a
// hak_seg_class_counters, refills[num_paths] then refill_objects[num_paths]; in the process
// record, the six scalars, then pool_acquires[num_pool_stages], pool_releases[...],
// superslabs[...], os_calls[num_os_calls], os_bytes[num_os_calls], slabs_in_use[num_classes],
// then (minor 4 on) resident_bytes and inherited_blocks[num_classes], then (minor 5 on)
// span_cache_bytes, span_cache_events[HAK_NUM_SPAN_CACHE_EVENTS] (fixed: the header has no
// num_* for it) and cache_resizes[HAK_NUM_CACHE_RESIZES][num_classes], then (minor 6 on)
// peak_resident_bytes, peak_mapped_bytes and peak_live_bytes;
// in a slot, 16 bytes then classes[num_classes], then (minor 3 on) caches[num_classes] at
// HAK_SEG_SLOT_CACHES_AT. With the num_* equal to this reader's, this
// is exactly telemetry_abi.h's structs (static_asserts in segment_checks.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "hakmem/telemetry_abi.h"
#include "reader/rejection.h"

namespace hakmem::reader::detail {

struct Layout {
  uint64_t class_record = 0;  // one class's counters inside a slot
  uint64_t refill_objects_at = 0;
  uint64_t process_record = 0;
  uint64_t pool_releases_at = 0, superslabs_at = 0, os_calls_at = 0, os_bytes_at = 0;
  uint64_t slabs_in_use_at = 0;
  uint64_t resident_at = 0;  // 0: the writer's minor has no resident_bytes
  uint64_t inherited_at = 0;  // inherited_blocks[], with resident_bytes
  uint64_t span_cache_at = 0;  // 0: the writer's minor has no span cache nor resize counts,
  uint64_t span_events_at = 0;  // and its caches[].cap is not for readers
  uint64_t resizes_at = 0;      // cache_resizes[d][c] at resizes_at + 8 * (d * num_classes + c)
  uint64_t peak_at = 0;  // peak_resident_bytes, then peak_mapped and peak_live; 0: before minor 6
  uint64_t caches_at = 0;  // in a slot; 0: the writer's minor has no caches
  uint64_t slot_record = 0;
};

inline constexpr uint64_t kProcessScalarsBytes = offsetof(hak_seg_process, pool_acquires);
inline constexpr uint64_t kClassScalarsBytes = offsetof(hak_seg_class_counters, refills);

Layout record_layout(const hak_seg_header& h);

// Magic, version, sizes against `file_size`, pid (> 0: must be `expected_pid`, as
// ReadOptions::expected_pid), comm, num_sections and the num_* values.
std::optional<Rejection> check_header(const hak_seg_header& h, uint64_t file_size,
                                      int expected_pid);
// Each known section: within [header_size, segment_size), not overlapping another, with at
// least the records and the record size that the header's num_* imply.
std::optional<Rejection> check_sections(const hak_seg_header& h, const Layout& l);

}  // namespace hakmem::reader::detail
