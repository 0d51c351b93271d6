// Synthesized telemetry segments for the reader's tests and the fuzzer's seeds: a writer of
// the ABI independent of the allocator, able to play a newer minor version (longer records,
// more records, longer nested arrays, a larger header) and to be broken field by field.
//
// Layout it writes (telemetry_abi.h, nested arrays sized by the header's num_*): header, then
// settings, classes, process, locks, slots, each section `extra_records` longer and each
// record `extra_stride` bytes longer than the minimum, sections 64-byte aligned. Slots of
// minor 3 on end in caches[num_classes] at HAK_SEG_SLOT_CACHES_AT. The process record ends,
// from minor 4, in resident_bytes and inherited_blocks[num_classes], and from minor 5 in
// span_cache_bytes, span_cache_events[HAK_NUM_SPAN_CACHE_EVENTS] and
// cache_resizes[HAK_NUM_CACHE_RESIZES][num_classes], and from minor 6 in peak_resident_bytes,
// peak_mapped_bytes and peak_live_bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "hakmem/telemetry_abi.h"

namespace segtest {

struct Spec {
  uint16_t major = HAK_SEG_ABI_MAJOR, minor = HAK_SEG_ABI_MINOR;
  uint32_t extra_header = 0;   // header_size beyond sizeof(hak_seg_header)
  uint32_t extra_stride = 0;   // bytes added to every record
  uint32_t extra_records = 0;  // records added to every section (beyond the known ones)
  uint32_t extra_entries = 0;  // added to every num_* (paths, classes, locks, stages, ...)
  uint32_t slots = 3;          // records of SLOTS beyond the retired one (before extra_records)
  uint32_t os_calls = HAK_NUM_OS_CALLS;  // HAK_SEG_OS_CALLS_MINOR1 for a minor 1 segment
  // HAK_SEG_LOCKS_MINOR5 and HAK_SEG_POOL_RELEASE_KINDS_MINOR5 for a minor 1 to 5 segment
  uint32_t locks = HAK_NUM_LOCKS;
  uint32_t pool_release_kinds = HAK_NUM_POOL_RELEASE_KINDS;
  int32_t pid = 4242;
  uint64_t start_time_ticks = 123456;
  std::string comm = "synth";
  std::vector<std::pair<std::string, std::string>> settings = {
      {"HAKMEM_STATS", "1"}, {"HAKMEM_TCACHE_CAP", "64"}};
};

class Segment {
 public:
  explicit Segment(Spec spec = {}) : spec_(std::move(spec)) { build(); }

  std::vector<unsigned char>& bytes() { return bytes_; }
  const Spec& spec() const { return spec_; }
  hak_seg_header& header() { return *reinterpret_cast<hak_seg_header*>(bytes_.data()); }
  hak_seg_section& section(unsigned id) { return header().sections[id]; }

  void put64(uint64_t at, uint64_t v) { std::memcpy(&bytes_.at(at + 7) - 7, &v, 8); }
  void put32(uint64_t at, uint32_t v) { std::memcpy(&bytes_.at(at + 3) - 3, &v, 4); }
  uint64_t get64(uint64_t at) const {
    uint64_t v;
    std::memcpy(&v, &bytes_.at(at + 7) - 7, 8);
    return v;
  }

  // Offsets of counters, from the spec's layout.
  uint64_t slot_at(unsigned slot) { return sec_off(HAK_SEG_SEC_SLOTS) + uint64_t{slot} * stride(HAK_SEG_SEC_SLOTS); }
  uint64_t class_at(unsigned slot, unsigned cls) { return slot_at(slot) + 16 + class_record() * cls; }
  uint64_t refills_at(unsigned slot, unsigned cls, unsigned path) { return class_at(slot, cls) + 24 + 8 * path; }
  uint64_t objects_at(unsigned slot, unsigned cls, unsigned path) {
    return class_at(slot, cls) + 24 + 8ull * n(HAK_NUM_PATHS) + 8 * path;
  }
  uint64_t process_at() { return sec_off(HAK_SEG_SEC_PROCESS); }
  // Index of process arrays: 0 pool_acquires, 1 pool_releases, 2 superslabs, 3 os_calls,
  // 4 os_bytes, 5 slabs_in_use.
  uint64_t process_array_at(unsigned array, unsigned i) {
    const uint64_t lens[] = {n(HAK_NUM_POOL_STAGES), n(spec_.pool_release_kinds),
                             n(HAK_NUM_SUPERSLAB_STATES), n(spec_.os_calls), n(spec_.os_calls),
                             n(HAK_NUM_CLASSES)};
    uint64_t at = process_at() + 48;
    for (unsigned a = 0; a < array; ++a) at += 8 * lens[a];
    return at + 8 * i;
  }
  uint64_t lock_at(unsigned lock) { return sec_off(HAK_SEG_SEC_LOCKS) + uint64_t{lock} * stride(HAK_SEG_SEC_LOCKS); }
  uint64_t setting_at(unsigned i) { return sec_off(HAK_SEG_SEC_SETTINGS) + uint64_t{i} * stride(HAK_SEG_SEC_SETTINGS); }

  // Known per-class counts, spread over slots so that only their sum is checkable:
  // slot s, class c holds allocs = (s+1)*(c+1)*10, frees = (s+1)*(c+1)*7, remote_frees = s+c,
  // refills[p] = s+p+1 and refill_objects[p] = (s+p+1)*(c+2) for the known paths; with live
  // caches (minor 3 on), its cache adds allocs (s+1)*(c+1)*3 and frees (s+1)*(c+1)*2, and
  // holds 5 blocks and has capacity cap_of(s, c) (written from minor 3; for readers from 5).
  // From minor 5 the process record holds span_cache_bytes 3 << 23, event i 500 + i, and
  // resizes[d][c] = (d + 1) * 100 + c. From minor 6 it ends in the peak: resident 5 << 20,
  // mapped 9 << 20, live 3 << 20.
  // Free slots (state 0: the extra records of a newer minor) stay all zero, as the ABI says.
  bool slot_claimed(unsigned slot) { return bytes_[slot_at(slot)] != HAK_SEG_SLOT_FREE; }
  void fill_counts() {
    for (unsigned s = 0; s < section(HAK_SEG_SEC_SLOTS).count; ++s) {
      if (!slot_claimed(s)) continue;
      for (unsigned c = 0; c < n(HAK_NUM_CLASSES); ++c) {
        put64(class_at(s, c), (s + 1) * (c + 1) * 10ull);
        put64(class_at(s, c) + 8, (s + 1) * (c + 1) * 7ull);
        put64(class_at(s, c) + 16, s + c);
        for (unsigned p = 0; p < n(HAK_NUM_PATHS); ++p) {
          put64(refills_at(s, c, p), s + p + 1);
          put64(objects_at(s, c, p), (s + p + 1ull) * (c + 2));
        }
        if (!has_caches()) continue;
        put64(cache_at(s, c) + offsetof(hak_seg_cache, fill), ((s + 1) * (c + 1) * 2ull) << 16 | 5);
        put64(cache_at(s, c) + offsetof(hak_seg_cache, allocs), (s + 1) * (c + 1) * 3ull);
        put32(cache_at(s, c) + offsetof(hak_seg_cache, cap), cap_of(s, c));
      }
    }
    for (unsigned l = 0; l < n(spec_.locks); ++l)
      for (unsigned f = 0; f < 5; ++f) put64(lock_at(l) + 8 * f, 100 * (l + 1) + f);
    for (unsigned f = 0; f < 6; ++f) put64(process_at() + 8 * f, 1000 + f);
    for (unsigned a = 0; a < 6; ++a)
      for (unsigned i = 0; i < 4; ++i) put64(process_array_at(a, i), 10 * (a + 1) + i);
    if (has_resident()) {
      put64(resident_at(), 777);
      for (unsigned c = 0; c < n(HAK_NUM_CLASSES); ++c) put64(resident_at() + 8 + 8 * c, c == 2 ? 40 : 0);
    }
    if (has_cache_stats()) {
      put64(span_cache_at(), 3ull << 23);
      for (unsigned i = 0; i < HAK_NUM_SPAN_CACHE_EVENTS; ++i) put64(span_event_at(i), 500 + i);
      for (unsigned d = 0; d < HAK_NUM_CACHE_RESIZES; ++d)
        for (unsigned c = 0; c < n(HAK_NUM_CLASSES); ++c) put64(resizes_at(d, c), (d + 1) * 100ull + c);
    }
    if (has_peak()) {
      put64(peak_at(), 5ull << 20);
      put64(peak_at() + 8, 9ull << 20);
      put64(peak_at() + 16, 3ull << 20);
    }
  }
  uint32_t cap_of(unsigned slot, unsigned cls) const { return 16 * (cls + 1) + slot; }
  // Sum of cap_of over the LIVE slots (the retired record's capacity is not a live heap's).
  uint64_t expected_capacity(unsigned c) {
    uint64_t sum = 0;
    for (unsigned s = 0; s < section(HAK_SEG_SEC_SLOTS).count; ++s)
      if (bytes_[slot_at(s)] == HAK_SEG_SLOT_LIVE) sum += cap_of(s, c);
    return sum;
  }
  // Sum over claimed slots of the value fill_counts() put in field `f` (0 allocs, 1 frees, 2 remote).
  uint64_t expected_class_sum(unsigned c, unsigned f) {
    uint64_t sum = 0;
    for (unsigned s = 0; s < section(HAK_SEG_SEC_SLOTS).count; ++s)
      if (slot_claimed(s)) sum += f == 0 ? (s + 1) * (c + 1) * (has_caches() ? 13 : 10)
                                  : f == 1 ? (s + 1) * (c + 1) * (has_caches() ? 9 : 7)
                                           : s + c;
    return sum;
  }
  bool has_caches() const { return spec_.minor >= HAK_SEG_CACHES_MINOR; }
  bool has_resident() const { return spec_.minor >= HAK_SEG_RESIDENT_MINOR; }
  // resident_bytes, after the process record's last array (minor 4 on).
  uint64_t resident_at() { return process_array_at(5, n(HAK_NUM_CLASSES)); }
  bool has_cache_stats() const { return spec_.minor >= HAK_SEG_CACHES_GROW_MINOR; }
  // span_cache_bytes, after inherited_blocks[] (minor 5 on); then the events and the resizes.
  uint64_t span_cache_at() { return resident_at() + 8 + 8 * n(HAK_NUM_CLASSES); }
  uint64_t span_event_at(unsigned i) { return span_cache_at() + 8 + 8 * i; }
  uint64_t resizes_at(unsigned d, unsigned c) {
    return span_event_at(HAK_NUM_SPAN_CACHE_EVENTS) + 8 * (d * n(HAK_NUM_CLASSES) + c);
  }
  bool has_peak() const { return spec_.minor >= HAK_SEG_PEAK_MINOR; }
  // peak_resident_bytes, after cache_resizes[][] (minor 6 on); then peak_mapped, peak_live.
  uint64_t peak_at() { return resizes_at(HAK_NUM_CACHE_RESIZES, 0); }
  uint64_t caches_at() const { return HAK_SEG_SLOT_CACHES_AT(n(HAK_NUM_CLASSES), class_record()); }
  uint64_t cache_at(unsigned slot, unsigned cls) { return slot_at(slot) + caches_at() + 32ull * cls; }
  uint64_t slot_record() const {
    return has_caches() ? caches_at() + 32 * n(HAK_NUM_CLASSES) : 16 + class_record() * n(HAK_NUM_CLASSES);
  }

  uint64_t n(uint64_t known) const { return known + spec_.extra_entries; }
  uint64_t class_record() const { return 24 + 16 * n(HAK_NUM_PATHS); }
  uint64_t sec_off(unsigned id) { return section(id).offset; }
  uint64_t stride(unsigned id) { return section(id).stride; }

 private:
  void build() {
    const Spec& s = spec_;
    uint64_t process_record = 8 * (6 + n(HAK_NUM_POOL_STAGES) + n(spec_.pool_release_kinds) +
                                   n(HAK_NUM_SUPERSLAB_STATES) + 2 * n(spec_.os_calls) +
                                   n(HAK_NUM_CLASSES) + (has_resident() ? 1 + n(HAK_NUM_CLASSES) : 0) +
                                   (has_cache_stats() ? 1 + HAK_NUM_SPAN_CACHE_EVENTS +
                                                            HAK_NUM_CACHE_RESIZES * n(HAK_NUM_CLASSES)
                                                      : 0) +
                                   (has_peak() ? 3 : 0));
    const uint64_t setting_record = s.minor >= HAK_SEG_SETTING_SOURCE_MINOR ? sizeof(hak_seg_setting)
                                                                            : HAK_SEG_SETTING_MINOR0_SIZE;
    const uint64_t strides[HAK_SEG_NUM_SECTIONS] = {setting_record, sizeof(hak_seg_class_info),
                                                    process_record, sizeof(hak_seg_lock), slot_record()};
    const uint64_t counts[HAK_SEG_NUM_SECTIONS] = {s.settings.size(), n(HAK_NUM_CLASSES), 1,
                                                   n(spec_.locks), 1 + uint64_t{s.slots}};
    hak_seg_header h{};
    h.magic = HAK_SEG_MAGIC;
    h.abi_major = s.major;
    h.abi_minor = s.minor;
    h.header_size = sizeof(hak_seg_header) + s.extra_header;
    h.pid = s.pid;
    h.flags = HAK_SEG_FLAG_ACTIVE;
    h.start_time_ticks = s.start_time_ticks;
    h.created_ns = 1700000000000000000ull;
    h.update_ns = h.created_ns + 5;
    h.generation = 4;
    std::strncpy(h.comm, s.comm.c_str(), sizeof h.comm - 1);
    h.num_classes = n(HAK_NUM_CLASSES);
    h.num_paths = n(HAK_NUM_PATHS);
    h.num_locks = n(spec_.locks);
    h.num_pool_stages = n(HAK_NUM_POOL_STAGES);
    h.num_pool_release_kinds = n(spec_.pool_release_kinds);
    h.num_superslab_states = n(HAK_NUM_SUPERSLAB_STATES);
    h.num_os_calls = n(spec_.os_calls);
    h.num_sections = HAK_SEG_NUM_SECTIONS + (s.extra_records > 0 ? 1 : 0);
    uint64_t at = (h.header_size + 63) & ~63ull;
    for (unsigned i = 0; i < HAK_SEG_NUM_SECTIONS; ++i) {
      h.sections[i].offset = at;
      h.sections[i].count = static_cast<uint32_t>(counts[i] + s.extra_records);
      h.sections[i].stride = static_cast<uint32_t>(strides[i] + s.extra_stride);
      at += (uint64_t{h.sections[i].count} * h.sections[i].stride + 63) & ~63ull;
    }
    h.segment_size = at;
    bytes_.assign(at, 0);
    std::memcpy(bytes_.data(), &h, sizeof h);
    for (unsigned i = 0; i < s.settings.size(); ++i) {
      std::strncpy(reinterpret_cast<char*>(&bytes_[setting_at(i)]), s.settings[i].first.c_str(), 47);
      std::strncpy(reinterpret_cast<char*>(&bytes_[setting_at(i) + 48]), s.settings[i].second.c_str(), 207);
      if (s.minor < HAK_SEG_SETTING_SOURCE_MINOR) continue;
      bytes_[setting_at(i) + offsetof(hak_seg_setting, source)] = static_cast<unsigned char>(i % HAK_SEG_NUM_SOURCES);
      std::strncpy(reinterpret_cast<char*>(&bytes_[setting_at(i) + offsetof(hak_seg_setting, full_value)]),
                   s.settings[i].second.c_str(), HAK_SEG_SETTING_VALUE_MAX - 1);
    }
    for (unsigned c = 0; c < n(HAK_NUM_CLASSES); ++c)
      put64(sec_off(HAK_SEG_SEC_CLASSES) + uint64_t{c} * stride(HAK_SEG_SEC_CLASSES), 16 * (c + 1));
    bytes_[slot_at(0)] = HAK_SEG_SLOT_RETIRED;
    for (unsigned i = 1; i <= s.slots; ++i) bytes_[slot_at(i)] = HAK_SEG_SLOT_LIVE;
  }

  Spec spec_;
  std::vector<unsigned char> bytes_;
};

}  // namespace segtest
