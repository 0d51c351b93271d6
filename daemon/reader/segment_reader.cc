// See segment_reader.h. One attempt = header checks, section checks, section reads, parse;
// the generation loop around it is read_with_retries().
#include "reader/segment_reader.h"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "reader/segment_layout.h"

namespace hakmem::reader {

namespace {

using detail::check_header;
using detail::check_sections;
using detail::kClassScalarsBytes;
using detail::kProcessScalarsBytes;
using detail::Layout;
using detail::record_layout;

// Where the bytes come from: a file (pread) or memory. Both bounds-check every read.
class Source {
 public:
  virtual ~Source() = default;
  // Bytes now available; false with `error` on failure.
  virtual bool size(uint64_t* out, Rejection* error) const = 0;
  // Exactly n bytes at `offset`, or a rejection (truncated when the end came first).
  virtual bool read(void* buf, std::size_t n, uint64_t offset, Rejection* error) const = 0;
};

class FdSource final : public Source {
 public:
  explicit FdSource(int fd) : fd_(fd) {}
  bool size(uint64_t* out, Rejection* error) const override {
    struct stat st;
    if (fstat(fd_, &st) != 0) {
      *error = {Reason::kIoError, std::string("fstat: ") + strerror(errno)};
      return false;
    }
    *out = st.st_size > 0 ? static_cast<uint64_t>(st.st_size) : 0;
    return true;
  }
  bool read(void* buf, std::size_t n, uint64_t offset, Rejection* error) const override {
    auto* p = static_cast<char*>(buf);
    std::size_t done = 0;
    while (done < n) {
      ssize_t r = pread(fd_, p + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        *error = {Reason::kIoError, std::string("pread: ") + strerror(errno)};
        return false;
      }
      if (r == 0) {
        *error = {Reason::kTruncated, "the file ends at byte " + std::to_string(offset + done) +
                                          ", reading " + std::to_string(n) + " bytes at " +
                                          std::to_string(offset)};
        return false;
      }
      done += static_cast<std::size_t>(r);
    }
    return true;
  }

 private:
  int fd_;
};

class BytesSource final : public Source {
 public:
  BytesSource(const void* data, std::size_t size)
      : data_(static_cast<const unsigned char*>(data)), size_(size) {}
  bool size(uint64_t* out, Rejection*) const override {
    *out = size_;
    return true;
  }
  bool read(void* buf, std::size_t n, uint64_t offset, Rejection* error) const override {
    if (offset > size_ || n > size_ - offset) {
      *error = {Reason::kTruncated, "the data ends at byte " + std::to_string(size_) +
                                        ", reading " + std::to_string(n) + " bytes at " +
                                        std::to_string(offset)};
      return false;
    }
    if (n != 0) std::memcpy(buf, data_ + offset, n);
    return true;
  }

 private:
  const unsigned char* data_;
  std::size_t size_;
};

uint64_t u64_at(const std::vector<unsigned char>& b, uint64_t at) {
  uint64_t v;
  std::memcpy(&v, b.data() + at, sizeof v);  // callers checked at + 8 <= b.size()
  return v;
}

// A slot's totals (telemetry_abi.h, hak_seg_cache): allocations from `later`, a read of the
// same slots made after `slots`, so that every free counted was made after an allocation
// that is counted too.
void add_slot_counts(const std::vector<unsigned char>& slots, const std::vector<unsigned char>& later,
                     uint64_t base, const Layout& l, Snapshot* s) {
  for (unsigned c = 0; c < kNumClasses; ++c) {
    uint64_t at = base + offsetof(hak_seg_slot, classes) + l.class_record * c;
    hak_seg_class_counters& k = s->classes[c].counters;
    k.frees += u64_at(slots, at + offsetof(hak_seg_class_counters, frees));
    k.allocs += u64_at(later, at + offsetof(hak_seg_class_counters, allocs));
    k.remote_frees += u64_at(slots, at + offsetof(hak_seg_class_counters, remote_frees));
    for (unsigned q = 0; q < kNumPaths; ++q) {
      k.refills[q] += u64_at(slots, at + kClassScalarsBytes + 8 * q);
      k.refill_objects[q] += u64_at(slots, at + l.refill_objects_at + 8 * q);
    }
    if (l.caches_at == 0) continue;
    uint64_t cache = base + l.caches_at + sizeof(hak_seg_cache) * c;
    k.frees += u64_at(slots, cache + offsetof(hak_seg_cache, fill)) >> HAK_SEG_CACHE_FREES_SHIFT;
    k.allocs += u64_at(later, cache + offsetof(hak_seg_cache, allocs));
  }
}

// A live slot's cache capacities (minor 5 on). Each cap is a uint32_t, so a sum over at most
// HAK_SEG_MAX_RECORDS slots cannot wrap, whatever a scribbler wrote.
void add_slot_capacity(const std::vector<unsigned char>& slots, uint64_t base, const Layout& l, Snapshot* s) {
  static_assert(uint64_t{HAK_SEG_MAX_RECORDS} * UINT32_MAX < UINT64_MAX / 2, "a capacity sum fits");
  for (unsigned c = 0; c < kNumClasses; ++c) {
    uint32_t cap;
    std::memcpy(&cap, slots.data() + base + l.caches_at + sizeof(hak_seg_cache) * c + offsetof(hak_seg_cache, cap),
                sizeof cap);  // within the slot record: check_sections saw stride >= slot_record
    s->classes[c].cache_capacity += cap;
  }
}

std::optional<Rejection> parse(const hak_seg_header& h, const Layout& l,
                               const std::vector<unsigned char> (&sec)[HAK_SEG_NUM_SECTIONS],
                               const std::vector<unsigned char>& later_slots, Snapshot* out) {
  const hak_seg_section* t = h.sections;
  Snapshot& s = *out;
  s.pid = h.pid;
  s.comm = h.comm;
  s.abi_major = h.abi_major;
  s.abi_minor = h.abi_minor;
  s.flags = h.flags;
  s.start_time_ticks = h.start_time_ticks;
  s.created_ns = h.created_ns;
  s.update_ns = h.update_ns;
  s.generation = h.generation;

  const auto& settings = sec[HAK_SEG_SEC_SETTINGS];
  const bool sourced = h.abi_minor >= HAK_SEG_SETTING_SOURCE_MINOR;
  for (uint32_t i = 0; i < t[HAK_SEG_SEC_SETTINGS].count; ++i) {
    hak_seg_setting rec{};
    std::memcpy(&rec, settings.data() + uint64_t{i} * t[HAK_SEG_SEC_SETTINGS].stride,
                sourced ? sizeof rec : HAK_SEG_SETTING_MINOR0_SIZE);
    if (memchr(rec.name, 0, sizeof rec.name) == nullptr || memchr(rec.value, 0, sizeof rec.value) == nullptr ||
        (sourced && memchr(rec.full_value, 0, sizeof rec.full_value) == nullptr))
      return Rejection{Reason::kBadString, "setting " + std::to_string(i) + " is not NUL-terminated"};
    if (rec.name[0] == '\0') continue;  // an unused record
    if (!sourced) {
      s.settings.push_back({rec.name, rec.value});
      continue;
    }
    if (rec.source >= HAK_SEG_NUM_SOURCES)
      return Rejection{Reason::kBadLayout, "setting " + std::string(rec.name) + ": source " +
                                               std::to_string(rec.source) + " is not one this reader knows"};
    s.settings.push_back({rec.name, rec.full_value, std::string(kSettingSourceNames[rec.source])});
  }

  const auto& process = sec[HAK_SEG_SEC_PROCESS];  // record 0 only
  hak_seg_process& p = s.process;
  std::memcpy(&p, process.data(), kProcessScalarsBytes);
  for (unsigned i = 0; i < kNumPoolStages; ++i) p.pool_acquires[i] = u64_at(process, kProcessScalarsBytes + 8 * i);
  for (unsigned i = 0; i < kNumPoolReleaseKinds && i < h.num_pool_release_kinds; ++i)
    p.pool_releases[i] = u64_at(process, l.pool_releases_at + 8 * i);
  s.has_reclaim = h.num_pool_release_kinds > HAK_SEG_POOL_RELEASE_KINDS_MINOR5;
  for (unsigned i = 0; i < kNumSuperslabStates; ++i) p.superslabs[i] = u64_at(process, l.superslabs_at + 8 * i);
  for (unsigned i = 0; i < kNumOsCalls && i < h.num_os_calls; ++i) {
    p.os_calls[i] = u64_at(process, l.os_calls_at + 8 * i);
    p.os_bytes[i] = u64_at(process, l.os_bytes_at + 8 * i);
  }
  s.has_mremap = h.num_os_calls > HAK_SEG_OS_CALLS_MINOR1;
  s.live_caches = l.caches_at != 0;
  for (unsigned i = 0; i < kNumClasses; ++i) p.slabs_in_use[i] = u64_at(process, l.slabs_in_use_at + 8 * i);
  s.has_resident = l.resident_at != 0;
  if (s.has_resident) {
    p.resident_bytes = u64_at(process, l.resident_at);
    for (unsigned i = 0; i < kNumClasses; ++i) p.inherited_blocks[i] = u64_at(process, l.inherited_at + 8 * i);
  }
  s.has_cache_stats = l.span_cache_at != 0;
  if (s.has_cache_stats) {
    p.span_cache_bytes = u64_at(process, l.span_cache_at);
    for (unsigned i = 0; i < kNumSpanCacheEvents; ++i) p.span_cache_events[i] = u64_at(process, l.span_events_at + 8 * i);
    // Rows of the header's num_classes (>= kNumClasses, checked), so every read is in the record.
    for (unsigned d = 0; d < kNumCacheResizes; ++d)
      for (unsigned i = 0; i < kNumClasses; ++i)
        p.cache_resizes[d][i] = u64_at(process, l.resizes_at + 8 * (uint64_t{d} * h.num_classes + i));
  }
  s.has_peak = l.peak_at != 0;
  if (s.has_peak) {
    p.peak_resident_bytes = u64_at(process, l.peak_at);
    p.peak_mapped_bytes = u64_at(process, l.peak_at + 8);
    p.peak_live_bytes = u64_at(process, l.peak_at + 16);
  }

  s.classes.resize(kNumClasses);
  for (unsigned c = 0; c < kNumClasses; ++c) {
    s.classes[c].index = c;
    s.classes[c].size = u64_at(sec[HAK_SEG_SEC_CLASSES], uint64_t{c} * t[HAK_SEG_SEC_CLASSES].stride);
    s.classes[c].slabs_in_use = p.slabs_in_use[c];
    s.classes[c].inherited_blocks = p.inherited_blocks[c];
    for (unsigned d = 0; d < kNumCacheResizes; ++d) s.classes[c].cache_resizes[d] = p.cache_resizes[d][c];
  }

  s.locks.resize(std::min<std::size_t>(kNumLocks, h.num_locks));  // minor 5: no heap lock
  for (unsigned i = 0; i < s.locks.size(); ++i)
    std::memcpy(&s.locks[i], sec[HAK_SEG_SEC_LOCKS].data() + uint64_t{i} * t[HAK_SEG_SEC_LOCKS].stride,
                sizeof(hak_seg_lock));

  const auto& slots = sec[HAK_SEG_SEC_SLOTS];
  s.slots = t[HAK_SEG_SEC_SLOTS].count;
  const uint64_t slots_read = slots.size() / t[HAK_SEG_SEC_SLOTS].stride;  // the rest are free
  for (uint32_t i = 0; i < slots_read; ++i) {
    uint64_t base = uint64_t{i} * t[HAK_SEG_SEC_SLOTS].stride;
    uint32_t state;
    std::memcpy(&state, slots.data() + base, sizeof state);
    if (state == HAK_SEG_SLOT_LIVE) ++s.live_slots;
    // A free slot was never claimed and is all zero by the ABI: nothing to add. Most of a
    // segment's slots are free, so skipping them is most of a scrape's parsing.
    if (state == HAK_SEG_SLOT_FREE) continue;
    add_slot_counts(slots, later_slots, base, l, &s);
    if (state == HAK_SEG_SLOT_LIVE && s.has_cache_stats && l.caches_at != 0) add_slot_capacity(slots, base, l, &s);
  }
  return std::nullopt;
}

// Slots are claimed in order (see the ABI), so the claimed ones come first: read them a chunk
// at a time and stop after a chunk that ends in a free slot, the rest being free too. A process
// uses a handful of its 65 slots, and copying all of them was most of a scrape's time.
constexpr uint32_t kSlotChunk = 8;

bool read_claimed_slots(const Source& src, const hak_seg_section& t, std::vector<unsigned char>* out,
                        Rejection* e) {
  out->clear();
  for (uint32_t first = 0; first < t.count; first += kSlotChunk) {
    uint32_t n = std::min(kSlotChunk, t.count - first);
    std::size_t at = out->size();
    out->resize(at + std::size_t{n} * t.stride);
    if (!src.read(out->data() + at, std::size_t{n} * t.stride, t.offset + uint64_t{first} * t.stride, e))
      return false;
    uint32_t last_state;
    std::memcpy(&last_state, out->data() + out->size() - t.stride, sizeof last_state);
    if (first + n > 1 && last_state == HAK_SEG_SLOT_FREE) break;  // record 0 may be free alone
  }
  return true;
}

// One attempt. Returns the generation seen before and after through `gen_*`.
std::optional<Rejection> read_once(const Source& src, const ReadOptions& options, Snapshot* out,
                                   uint64_t* gen_before, uint64_t* gen_after) {
  Rejection e;
  uint64_t file_size = 0;
  if (!src.size(&file_size, &e)) return e;
  if (file_size < sizeof(hak_seg_header))
    return Rejection{Reason::kTruncated, "the file has " + std::to_string(file_size) +
                                             " bytes, less than a header's " +
                                             std::to_string(sizeof(hak_seg_header))};
  hak_seg_header h;
  if (!src.read(&h, sizeof h, 0, &e)) return e;
  *gen_before = h.generation;
  if (auto r = check_header(h, file_size, options.expected_pid)) return r;
  Layout l = record_layout(h);
  if (auto r = check_sections(h, l)) return r;
  static_assert(HAK_SEG_SEC_SLOTS == HAK_SEG_NUM_SECTIONS - 1, "the slots are read last, on their own");
  // Only the records used: all settings, the known classes and locks, process 0; then the
  // claimed slots.
  const uint64_t used[HAK_SEG_SEC_SLOTS] = {h.sections[HAK_SEG_SEC_SETTINGS].count, kNumClasses, 1,
                                            std::min<uint64_t>(kNumLocks, h.num_locks)};
  std::vector<unsigned char> sec[HAK_SEG_NUM_SECTIONS];
  for (unsigned i = 0; i < HAK_SEG_SEC_SLOTS; ++i) {
    sec[i].resize(used[i] * h.sections[i].stride);
    if (!src.read(sec[i].data(), sec[i].size(), h.sections[i].offset, &e)) return e;
  }
  const hak_seg_section& slots = h.sections[HAK_SEG_SEC_SLOTS];
  if (!read_claimed_slots(src, slots, &sec[HAK_SEG_SEC_SLOTS], &e)) return e;
  // The allocations, read again after every frees count was (see add_slot_counts).
  std::vector<unsigned char> later(sec[HAK_SEG_SEC_SLOTS].size());
  if (!src.read(later.data(), later.size(), slots.offset, &e)) return e;
  if (!src.read(gen_after, sizeof *gen_after, offsetof(hak_seg_header, generation), &e)) return e;
  if ((*gen_before & 1) != 0 || *gen_before != *gen_after) return std::nullopt;  // caller retries
  return parse(h, l, sec, later, out);
}

ReadResult read_with_retries(const Source& src, const ReadOptions& options) {
  ReadResult result;
  uint64_t before = 0, after = 0;
  int attempts = options.max_attempts > 0 ? options.max_attempts : 1;
  for (int i = 0; i < attempts; ++i) {
    result.attempts = i + 1;
    result.snapshot = Snapshot{};
    if (auto r = read_once(src, options, &result.snapshot, &before, &after)) {
      result.error = std::move(r);
      return result;
    }
    if ((before & 1) == 0 && before == after) {
      struct timespec now;
      clock_gettime(CLOCK_REALTIME, &now);
      result.snapshot.taken_ns = uint64_t(now.tv_sec) * 1000000000ull + uint64_t(now.tv_nsec);
      return result;
    }
    struct timespec pause = {0, 50000L * (i + 1)};  // a writer's update is short; back off a little
    nanosleep(&pause, nullptr);
  }
  result.snapshot = Snapshot{};
  result.error = Rejection{Reason::kUnstable, "the generation was odd or moved in each of " + std::to_string(attempts) +
                                                  " reads (last " + std::to_string(before) + " -> " +
                                                  std::to_string(after) + ")"};
  return result;
}

}  // namespace

ReadResult read_segment_fd(int fd, const ReadOptions& options) {
  return read_with_retries(FdSource(fd), options);
}

ReadResult read_segment_bytes(const void* data, std::size_t size, const ReadOptions& options) {
  return read_with_retries(BytesSource(data, size), options);
}

}  // namespace hakmem::reader
