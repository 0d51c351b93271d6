// See segment_layout.h: the structural checks, each rejection naming the field and the bound.
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>

#include "reader/names.h"
#include "reader/segment_layout.h"

namespace hakmem::reader::detail {

static_assert(kClassScalarsBytes == 8 * 3 && kProcessScalarsBytes == 8 * 6,
              "the scalars ahead of the nested arrays are part of major 1");

namespace {

// The header's array lengths beyond which a segment is hostile, not merely newer: a record
// built from them must still fit HAK_SEG_MAX_STRIDE.
constexpr uint32_t kMaxArrayLength = 1024;

std::string hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%016" PRIx64, v);
  return buf;
}

}  // namespace

Layout record_layout(const hak_seg_header& h) {
  Layout l;
  l.refill_objects_at = kClassScalarsBytes + 8ull * h.num_paths;
  l.class_record = l.refill_objects_at + 8ull * h.num_paths;
  l.pool_releases_at = kProcessScalarsBytes + 8ull * h.num_pool_stages;
  l.superslabs_at = l.pool_releases_at + 8ull * h.num_pool_release_kinds;
  l.os_calls_at = l.superslabs_at + 8ull * h.num_superslab_states;
  l.os_bytes_at = l.os_calls_at + 8ull * h.num_os_calls;
  l.slabs_in_use_at = l.os_bytes_at + 8ull * h.num_os_calls;
  l.process_record = l.slabs_in_use_at + 8ull * h.num_classes;
  if (h.abi_minor >= HAK_SEG_RESIDENT_MINOR) {
    l.resident_at = l.process_record;
    l.inherited_at = l.resident_at + 8;
    l.process_record = l.inherited_at + 8ull * h.num_classes;
  }
  if (h.abi_minor >= HAK_SEG_CACHES_GROW_MINOR) {  // appended to minor 4's record
    l.span_cache_at = l.process_record;
    l.span_events_at = l.span_cache_at + 8;
    l.resizes_at = l.span_events_at + 8ull * HAK_NUM_SPAN_CACHE_EVENTS;
    l.process_record = l.resizes_at + 8ull * HAK_NUM_CACHE_RESIZES * h.num_classes;
  }
  if (h.abi_minor >= HAK_SEG_PEAK_MINOR) {  // appended to minor 5's record
    l.peak_at = l.process_record;
    l.process_record = l.peak_at + 8 * 3;
  }
  l.slot_record = offsetof(hak_seg_slot, classes) + l.class_record * h.num_classes;
  if (h.abi_minor >= HAK_SEG_CACHES_MINOR) {
    l.caches_at = HAK_SEG_SLOT_CACHES_AT(h.num_classes, l.class_record);
    l.slot_record = l.caches_at + sizeof(hak_seg_cache) * h.num_classes;
  }
  return l;
}

std::optional<Rejection> check_header(const hak_seg_header& h, uint64_t file_size,
                                      int expected_pid) {
  if (h.magic == 0 && h.abi_major == 0 && h.segment_size == 0)
    return Rejection{Reason::kNotPublished, "the header is all zero: the segment is being created"};
  if (h.magic != HAK_SEG_MAGIC)
    return Rejection{Reason::kBadMagic, "magic is " + hex(h.magic) + ", expected " + hex(HAK_SEG_MAGIC)};
  if (h.abi_major != HAK_SEG_ABI_MAJOR)
    return Rejection{Reason::kUnknownMajor,
                     "the segment's ABI version is " + std::to_string(h.abi_major) + "." +
                         std::to_string(h.abi_minor) + "; this reader knows major " +
                         std::to_string(HAK_SEG_ABI_MAJOR) + " (up to " +
                         std::to_string(HAK_SEG_ABI_MAJOR) + "." + std::to_string(HAK_SEG_ABI_MINOR) + ")"};
  if (h.header_size < sizeof(hak_seg_header) || h.header_size > HAK_SEG_MAX_STRIDE)
    return Rejection{Reason::kBadHeader, "header_size " + std::to_string(h.header_size) +
                                             " is outside [" + std::to_string(sizeof(hak_seg_header)) +
                                             ", " + std::to_string(HAK_SEG_MAX_STRIDE) + "]"};
  if (h.segment_size < h.header_size || h.segment_size > HAK_SEG_MAX_SIZE)
    return Rejection{Reason::kBadHeader, "segment_size " + std::to_string(h.segment_size) +
                                             " is outside [header_size " + std::to_string(h.header_size) +
                                             ", " + std::to_string(HAK_SEG_MAX_SIZE) + "]"};
  if (file_size < h.segment_size)
    return Rejection{Reason::kTruncated, "the file has " + std::to_string(file_size) +
                                             " bytes, the header says " + std::to_string(h.segment_size)};
  if (h.pid <= 0) return Rejection{Reason::kBadPid, "pid " + std::to_string(h.pid) + " is not positive"};
  if (expected_pid > 0 && h.pid != expected_pid)
    return Rejection{Reason::kBadPid, "the header's pid is " + std::to_string(h.pid) +
                                          ", the file is named for pid " +
                                          std::to_string(expected_pid)};
  if (memchr(h.comm, 0, sizeof h.comm) == nullptr)
    return Rejection{Reason::kBadString, "comm is not NUL-terminated"};
  if (h.num_sections > HAK_SEG_MAX_SECTIONS)
    return Rejection{Reason::kAbsurdCount, "num_sections " + std::to_string(h.num_sections) +
                                               " > " + std::to_string(HAK_SEG_MAX_SECTIONS)};
  if (h.num_sections < HAK_SEG_NUM_SECTIONS)
    return Rejection{Reason::kBadLayout, "num_sections " + std::to_string(h.num_sections) +
                                             " < the " + std::to_string(HAK_SEG_NUM_SECTIONS) +
                                             " this reader knows"};
  struct {
    const char* name;
    uint32_t value, known;
  } const lengths[] = {
      {"num_classes", h.num_classes, HAK_NUM_CLASSES},
      {"num_paths", h.num_paths, HAK_NUM_PATHS},
      // Minor 1 to 5 had no heap lock and no release kind reclaim: still read, those absent
      // (Snapshot::locks is shorter, Snapshot::has_reclaim false).
      {"num_locks", h.num_locks, HAK_SEG_LOCKS_MINOR5},
      {"num_pool_stages", h.num_pool_stages, HAK_NUM_POOL_STAGES},
      {"num_pool_release_kinds", h.num_pool_release_kinds, HAK_SEG_POOL_RELEASE_KINDS_MINOR5},
      {"num_superslab_states", h.num_superslab_states, HAK_NUM_SUPERSLAB_STATES},
      // Minor 0 and 1 had no mremap: still read, its counts absent (Snapshot::has_mremap).
      {"num_os_calls", h.num_os_calls, HAK_SEG_OS_CALLS_MINOR1},
  };
  for (const auto& l : lengths) {
    if (l.value > kMaxArrayLength)
      return Rejection{Reason::kAbsurdCount, std::string(l.name) + " " + std::to_string(l.value) +
                                                 " > " + std::to_string(kMaxArrayLength)};
    if (l.value < l.known)
      return Rejection{Reason::kBadLayout, std::string(l.name) + " " + std::to_string(l.value) +
                                               " < the " + std::to_string(l.known) +
                                               " this reader knows"};
  }
  return std::nullopt;
}

std::optional<Rejection> check_sections(const hak_seg_header& h, const Layout& l) {
  const uint64_t min_stride[HAK_SEG_NUM_SECTIONS] = {
      h.abi_minor >= HAK_SEG_SETTING_SOURCE_MINOR ? sizeof(hak_seg_setting) : HAK_SEG_SETTING_MINOR0_SIZE,
      sizeof(hak_seg_class_info), l.process_record,
      sizeof(hak_seg_lock), l.slot_record};
  const uint64_t min_count[HAK_SEG_NUM_SECTIONS] = {0, h.num_classes, 1, h.num_locks, 1};
  for (unsigned i = 0; i < HAK_SEG_NUM_SECTIONS; ++i) {
    const hak_seg_section& s = h.sections[i];
    std::string name = "section " + std::string(kSectionNames[i]);
    if (s.count > HAK_SEG_MAX_RECORDS || s.stride > HAK_SEG_MAX_STRIDE)
      return Rejection{Reason::kAbsurdCount, name + ": " + std::to_string(s.count) + " records of " +
                                                 std::to_string(s.stride) + " bytes exceed the limits (" +
                                                 std::to_string(HAK_SEG_MAX_RECORDS) + ", " +
                                                 std::to_string(HAK_SEG_MAX_STRIDE) + ")"};
    if (s.stride < min_stride[i])
      return Rejection{Reason::kBadLayout, name + ": stride " + std::to_string(s.stride) +
                                               " < the record's " + std::to_string(min_stride[i]) + " bytes"};
    if (s.count < min_count[i])
      return Rejection{Reason::kBadLayout, name + ": " + std::to_string(s.count) + " records, at least " +
                                               std::to_string(min_count[i]) + " expected"};
    uint64_t bytes = uint64_t{s.count} * s.stride;  // <= 2^32: no overflow
    if (s.offset < h.header_size || s.offset > h.segment_size || bytes > h.segment_size - s.offset)
      return Rejection{Reason::kSectionOutOfRange,
                       name + ": bytes [" + std::to_string(s.offset) + ", " + std::to_string(s.offset) +
                           " + " + std::to_string(bytes) + ") are not within [header_size " +
                           std::to_string(h.header_size) + ", segment_size " +
                           std::to_string(h.segment_size) + ")"};
  }
  // Sections never share bytes; this also bounds what a reader allocates by segment_size.
  for (unsigned i = 0; i < HAK_SEG_NUM_SECTIONS; ++i) {
    for (unsigned j = i + 1; j < HAK_SEG_NUM_SECTIONS; ++j) {
      const hak_seg_section& a = h.sections[i];
      const hak_seg_section& b = h.sections[j];
      uint64_t a_end = a.offset + uint64_t{a.count} * a.stride;
      uint64_t b_end = b.offset + uint64_t{b.count} * b.stride;
      if (a.offset < b_end && b.offset < a_end)
        return Rejection{Reason::kSectionOutOfRange, "sections " + std::string(kSectionNames[i]) +
                                                         " and " + std::string(kSectionNames[j]) +
                                                         " overlap"};
    }
  }
  return std::nullopt;
}

}  // namespace hakmem::reader::detail
