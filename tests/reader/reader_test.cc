// The reader library against synthesized segments: what it reads (sums over every claimed
// slot, the retired record included), newer minor versions, and every rejection reason.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "reader/names.h"
#include "reader/rejection.h"
#include "reader/segment_reader.h"
#include "segment_builder.h"

namespace {

using hakmem::reader::ReadOptions;
using hakmem::reader::ReadResult;
using hakmem::reader::Reason;
using hakmem::reader::read_segment_bytes;
using hakmem::reader::reason_name;

ReadResult read(segtest::Segment& s, ReadOptions o = {}) {
  return read_segment_bytes(s.bytes().data(), s.bytes().size(), o);
}

// The rejection reason, or "ok".
std::string verdict(segtest::Segment& s, ReadOptions o = {}) {
  ReadResult r = read(s, o);
  return r.ok() ? "ok" : std::string(reason_name(r.error->reason));
}

void expect_filled_values(segtest::Segment& s, const ReadResult& r) {
  ASSERT_TRUE(r.ok()) << r.error->to_string();
  const auto& snap = r.snapshot;
  EXPECT_EQ(snap.pid, 4242);
  EXPECT_EQ(snap.comm, "synth");
  EXPECT_EQ(snap.start_time_ticks, 123456u);
  EXPECT_EQ(snap.flags, HAK_SEG_FLAG_ACTIVE);
  ASSERT_EQ(snap.settings.size(), s.spec().settings.size());
  EXPECT_EQ(snap.settings[1].name, "HAKMEM_TCACHE_CAP");
  ASSERT_NE(snap.setting("HAKMEM_TCACHE_CAP"), nullptr);
  EXPECT_EQ(*snap.setting("HAKMEM_TCACHE_CAP"), "64");
  ASSERT_EQ(snap.classes.size(), size_t{HAK_NUM_CLASSES});
  uint64_t slots = s.section(HAK_SEG_SEC_SLOTS).count;
  EXPECT_EQ(snap.slots, slots);
  EXPECT_EQ(snap.live_slots, s.spec().slots);
  for (unsigned c = 0; c < HAK_NUM_CLASSES; ++c) {
    const auto& k = snap.classes[c];
    EXPECT_EQ(k.size, 16u * (c + 1));
    EXPECT_EQ(k.counters.allocs, s.expected_class_sum(c, 0)) << "class " << c;
    EXPECT_EQ(k.counters.frees, s.expected_class_sum(c, 1));
    EXPECT_EQ(k.counters.remote_frees, s.expected_class_sum(c, 2));
    for (unsigned p = 0; p < HAK_NUM_PATHS; ++p) {
      uint64_t refills = 0;
      for (unsigned i = 0; i < slots; ++i)
        if (s.slot_claimed(i)) refills += i + p + 1;
      EXPECT_EQ(k.counters.refills[p], refills);
      EXPECT_EQ(k.counters.refill_objects[p], refills * (c + 2));
    }
    EXPECT_EQ(k.live_bytes(), (k.counters.allocs + k.inherited_blocks - k.counters.frees) * k.size);
  }
  for (unsigned l = 0; l < HAK_NUM_LOCKS; ++l) {
    EXPECT_EQ(snap.locks[l].acquisitions, 100u * (l + 1));
    EXPECT_EQ(snap.locks[l].hold_ns_total, 100u * (l + 1) + 4);
  }
  EXPECT_EQ(snap.process.mapped_bytes, 1000u);
  EXPECT_EQ(snap.process.threads_exited, 1005u);
  EXPECT_EQ(snap.process.pool_acquires[1], 11u);
  EXPECT_EQ(snap.process.pool_releases[0], 20u);
  EXPECT_EQ(snap.process.superslabs[1], 31u);
  EXPECT_EQ(snap.process.os_calls[2], 42u);
  EXPECT_EQ(snap.process.os_bytes[0], 50u);
  EXPECT_EQ(snap.process.slabs_in_use[3], 63u);
  EXPECT_EQ(snap.classes[3].slabs_in_use, 63u);
  EXPECT_EQ(snap.has_resident, s.has_resident());
  EXPECT_EQ(snap.process.resident_bytes, s.has_resident() ? 777u : 0u);
  EXPECT_EQ(snap.classes[2].inherited_blocks, s.has_resident() ? 40u : 0u);
  EXPECT_EQ(snap.classes[3].inherited_blocks, 0u);
  // Minor 5's span cache, resizes (rows of the header's num_classes) and live caches' capacity.
  const bool grows = s.has_cache_stats();
  EXPECT_EQ(snap.has_cache_stats, grows);
  EXPECT_EQ(snap.process.span_cache_bytes, grows ? 3u << 23 : 0u);
  for (unsigned i = 0; i < HAK_NUM_SPAN_CACHE_EVENTS; ++i)
    EXPECT_EQ(snap.process.span_cache_events[i], grows ? 500u + i : 0u) << "event " << i;
  for (unsigned c = 0; c < HAK_NUM_CLASSES; ++c) {
    for (unsigned d = 0; d < HAK_NUM_CACHE_RESIZES; ++d) {
      EXPECT_EQ(snap.classes[c].cache_resizes[d], grows ? (d + 1) * 100u + c : 0u) << "class " << c;
      EXPECT_EQ(snap.process.cache_resizes[d][c], snap.classes[c].cache_resizes[d]);
    }
    EXPECT_EQ(snap.classes[c].cache_capacity, grows ? s.expected_capacity(c) : 0u) << "class " << c;
    EXPECT_EQ(snap.classes[c].cache_capacity_bytes(), snap.classes[c].cache_capacity * 16 * (c + 1));
  }
  // Minor 6's footprint at the peak.
  EXPECT_EQ(snap.has_peak, s.has_peak());
  EXPECT_EQ(snap.process.peak_resident_bytes, s.has_peak() ? 5u << 20 : 0u);
  EXPECT_EQ(snap.process.peak_mapped_bytes, s.has_peak() ? 9u << 20 : 0u);
  EXPECT_EQ(snap.process.peak_live_bytes, s.has_peak() ? 3u << 20 : 0u);
}

// A filled segment of an older `minor` and one of this reader's, each read and checked whole.
struct OldAndCurrent {
  ReadResult old, current;
};
OldAndCurrent read_old_and_current(uint16_t minor) {
  segtest::Spec spec;
  spec.minor = minor;
  segtest::Segment old(spec), current;
  OldAndCurrent r;
  for (auto [s, into] : {std::pair{&old, &r.old}, std::pair{&current, &r.current}}) {
    s->fill_counts();
    *into = read(*s);
    expect_filled_values(*s, *into);
  }
  return r;
}

TEST(Reader, ReadsASegmentAndSumsEveryClaimedSlot) {
  segtest::Segment s;
  s.fill_counts();
  ReadResult r = read(s);
  expect_filled_values(s, r);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.snapshot.abi_major, 1u);
}

// The reader takes slots a chunk at a time: claimed slots past the first chunks still count.
TEST(Reader, ReadsClaimedSlotsPastTheFirstChunks) {
  segtest::Spec spec;
  spec.slots = 20;
  segtest::Segment s(spec);
  s.fill_counts();
  expect_filled_values(s, read(s));
}

// A free slot is never claimed and all zero by the ABI, so the reader skips it: counts a
// scribbler put there are not summed.
TEST(Reader, SkipsFreeSlots) {
  segtest::Segment s;
  s.fill_counts();
  unsigned last = s.section(HAK_SEG_SEC_SLOTS).count - 1;
  s.bytes()[s.slot_at(last)] = HAK_SEG_SLOT_FREE;
  ReadResult r = read(s);
  ASSERT_TRUE(r.ok()) << r.error->to_string();
  EXPECT_EQ(r.snapshot.live_slots, s.spec().slots - 1);
  // expected_class_sum() now leaves out the slot, whose counts fill_counts() wrote.
  for (unsigned c = 0; c < HAK_NUM_CLASSES; ++c) {
    uint64_t in_free_slot = (last + 1) * (c + 1) * 10ull;
    EXPECT_EQ(s.get64(s.class_at(last, c)), in_free_slot);
    EXPECT_EQ(r.snapshot.classes[c].counters.allocs, s.expected_class_sum(c, 0)) << "class " << c;
    EXPECT_EQ(r.snapshot.classes[c].counters.frees, s.expected_class_sum(c, 1));
  }
}

TEST(Reader, RetiredRecordCountsToo) {
  segtest::Segment s;
  s.put64(s.class_at(0, 5), 77);  // only the retired record
  ReadResult r = read(s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.snapshot.classes[5].counters.allocs, 77u);
  EXPECT_EQ(r.snapshot.classes[5].live_bytes(), 77u * 96);
  EXPECT_TRUE(r.snapshot.classes[5].active());
  EXPECT_FALSE(r.snapshot.classes[6].active());
}

TEST(Reader, NewerMinorWithLongerRecordsMoreRecordsAndLongerArrays) {
  for (uint32_t stride : {0u, 8u, 200u}) {
    for (uint32_t records : {0u, 1u, 3u}) {
      for (uint32_t entries : {0u, 2u}) {
        segtest::Spec spec;
        spec.minor = HAK_SEG_ABI_MINOR + 3;
        spec.extra_stride = stride;
        spec.extra_records = records;
        spec.extra_entries = entries;
        spec.extra_header = entries * 32;
        segtest::Segment s(spec);
        s.fill_counts();
        SCOPED_TRACE("stride +" + std::to_string(stride) + " records +" + std::to_string(records) +
                     " entries +" + std::to_string(entries));
        ReadResult r = read(s);
        expect_filled_values(s, r);
        EXPECT_EQ(r.snapshot.abi_minor, HAK_SEG_ABI_MINOR + 3u);
      }
    }
  }
}

// Minor 1 had three OS calls (no mremap): still read, the mremap counts absent and said so.
TEST(Reader, MinorOneWithoutMremap) {
  segtest::Spec spec;
  spec.minor = 1;
  spec.os_calls = HAK_SEG_OS_CALLS_MINOR1;
  segtest::Segment s(spec);
  s.fill_counts();
  ReadResult r = read(s);
  ASSERT_TRUE(r.ok()) << r.error->to_string();
  EXPECT_FALSE(r.snapshot.has_mremap);
  EXPECT_EQ(r.snapshot.process.os_calls[2], 42u);  // madvise, where minor 1 had it
  EXPECT_EQ(r.snapshot.process.os_bytes[0], 50u);
  EXPECT_EQ(r.snapshot.process.os_calls[HAK_NUM_OS_CALLS - 1], 0u);
  EXPECT_EQ(r.snapshot.process.slabs_in_use[3], 63u);

  segtest::Segment current;
  current.fill_counts();
  EXPECT_TRUE(read(current).snapshot.has_mremap);
}

// Minor 5 had six locks (no heap) and four pool release kinds (no reclaim): still read, the
// arrays after pool_releases where minor 5 had them, the new entries absent and said so.
TEST(Reader, MinorFiveWithoutReclaim) {
  segtest::Spec spec;
  spec.minor = 5;
  spec.locks = HAK_SEG_LOCKS_MINOR5;
  spec.pool_release_kinds = HAK_SEG_POOL_RELEASE_KINDS_MINOR5;
  segtest::Segment s(spec);
  s.fill_counts();
  s.put64(s.process_array_at(1, HAK_SEG_POOL_RELEASE_KINDS_MINOR5 - 1), 23);  // superslab_unmapped
  ReadResult r = read(s);
  ASSERT_TRUE(r.ok()) << r.error->to_string();
  EXPECT_FALSE(r.snapshot.has_reclaim);
  ASSERT_EQ(r.snapshot.locks.size(), size_t{HAK_SEG_LOCKS_MINOR5});
  EXPECT_EQ(r.snapshot.locks[HAK_SEG_LOCKS_MINOR5 - 1].acquisitions, 100u * HAK_SEG_LOCKS_MINOR5);
  EXPECT_EQ(r.snapshot.process.pool_releases[0], 20u);
  EXPECT_EQ(r.snapshot.process.pool_releases[HAK_SEG_POOL_RELEASE_KINDS_MINOR5 - 1], 23u);
  EXPECT_EQ(r.snapshot.process.pool_releases[HAK_NUM_POOL_RELEASE_KINDS - 1], 0u);
  EXPECT_EQ(r.snapshot.process.superslabs[1], 31u);
  EXPECT_EQ(r.snapshot.process.slabs_in_use[3], 63u);

  segtest::Segment current;
  current.fill_counts();
  ReadResult now = read(current);
  ASSERT_TRUE(now.ok());
  EXPECT_TRUE(now.snapshot.has_reclaim);
  EXPECT_EQ(now.snapshot.locks.size(), size_t{HAK_NUM_LOCKS});
}

// Fewer locks or release kinds than minor 5 had: a broken layout, not an old one.
TEST(ReaderRejects, FewerLocksOrReleaseKindsThanMinorFive) {
  segtest::Spec a;
  a.locks = HAK_SEG_LOCKS_MINOR5 - 1;
  segtest::Segment sa(a);
  EXPECT_EQ(verdict(sa), "bad_layout");
  segtest::Spec b;
  b.pool_release_kinds = HAK_SEG_POOL_RELEASE_KINDS_MINOR5 - 1;
  segtest::Segment sb(b);
  EXPECT_EQ(verdict(sb), "bad_layout");
}

// Minor 2 slots end after classes[]: read with their published counts only, marked as such;
// minor 3 adds each slot's live caches to them.
TEST(Reader, MinorTwoWithoutLiveCaches) {
  segtest::Spec spec;
  spec.minor = 2;
  segtest::Segment old(spec);
  old.fill_counts();
  EXPECT_EQ(old.stride(HAK_SEG_SEC_SLOTS), 16 + old.class_record() * HAK_NUM_CLASSES);
  ReadResult r = read(old);
  ASSERT_TRUE(r.ok()) << r.error->to_string();
  EXPECT_FALSE(r.snapshot.live_caches);
  EXPECT_EQ(r.snapshot.classes[3].counters.allocs, old.expected_class_sum(3, 0));
  EXPECT_EQ(r.snapshot.classes[3].counters.allocs, (1 + 2 + 3 + 4) * 4 * 10u);

  segtest::Segment current;
  current.fill_counts();
  r = read(current);
  ASSERT_TRUE(r.ok()) << r.error->to_string();
  EXPECT_TRUE(r.snapshot.live_caches);
  EXPECT_EQ(r.snapshot.classes[3].counters.allocs, (1 + 2 + 3 + 4) * 4 * 13u);
  EXPECT_EQ(r.snapshot.classes[3].counters.frees, (1 + 2 + 3 + 4) * 4 * 9u);
  // The cached block count (5 per slot) is the writer's, not a count.
  EXPECT_EQ(r.snapshot.classes[3].counters.frees, current.expected_class_sum(3, 1));
}

// Minor 3's process record ends at slabs_in_use[]: read, resident bytes absent and said so
// (hakmemd serves no hakmem_resident_bytes for it); minor 4 appends them.
TEST(Reader, MinorThreeWithoutResidentBytes) {
  auto [old, current] = read_old_and_current(3);
  EXPECT_FALSE(old.snapshot.has_resident);
  EXPECT_TRUE(current.snapshot.has_resident);
  EXPECT_EQ(current.snapshot.process.resident_bytes, 777u);
}

// Minor 4's process record ends at inherited_blocks[], and its caches[].cap (which the builder
// writes there too) was the writer's own: read, the span cache, resizes and capacities absent
// and said so (hakmemd serves none of their families for it); minor 5 appends the counts and
// makes cap readable.
TEST(Reader, MinorFourWithoutCacheStats) {
  auto [old, current] = read_old_and_current(4);
  EXPECT_TRUE(old.snapshot.has_resident);
  EXPECT_FALSE(old.snapshot.has_cache_stats);
  EXPECT_TRUE(current.snapshot.has_cache_stats);
  EXPECT_EQ(current.snapshot.classes[3].cache_capacity, 64u + 1 + 64 + 2 + 64 + 3);  // live slots 1 to 3
}

// Minor 5's process record ends at cache_resizes[][]: read, the peak absent and said so
// (hakmemd serves no hakmem_peak_* for it); minor 6 appends it.
TEST(Reader, MinorFiveWithoutPeak) {
  auto [old, current] = read_old_and_current(5);
  EXPECT_TRUE(old.snapshot.has_cache_stats);
  EXPECT_FALSE(old.snapshot.has_peak);
  EXPECT_TRUE(current.snapshot.has_peak);
  EXPECT_EQ(current.snapshot.process.peak_live_bytes, 3u << 20);
}

// The builder, a writer independent of the allocator, lays minor 6 out as the ABI's structs do.
TEST(Reader, BuilderMatchesTheAbiStructs) {
  segtest::Segment s;
  EXPECT_EQ(s.stride(HAK_SEG_SEC_PROCESS), sizeof(hak_seg_process));
  EXPECT_EQ(s.span_cache_at() - s.process_at(), offsetof(hak_seg_process, span_cache_bytes));
  EXPECT_EQ(s.span_event_at(0) - s.process_at(), offsetof(hak_seg_process, span_cache_events));
  EXPECT_EQ(s.resizes_at(1, 2) - s.process_at(), offsetof(hak_seg_process, cache_resizes[1][2]));
  EXPECT_EQ(s.peak_at() - s.process_at(), offsetof(hak_seg_process, peak_resident_bytes));
  EXPECT_EQ(s.stride(HAK_SEG_SEC_SLOTS), sizeof(hak_seg_slot));
}

// A scribbled capacity (every cap UINT32_MAX) and class size (UINT64_MAX): sums that fit, and
// bytes saturated rather than wrapped.
TEST(Reader, ScribbledCapacitiesSaturate) {
  segtest::Segment s;
  s.fill_counts();
  for (unsigned slot = 0; slot < s.section(HAK_SEG_SEC_SLOTS).count; ++slot)
    s.put32(s.cache_at(slot, 4) + offsetof(hak_seg_cache, cap), UINT32_MAX);
  s.put64(s.sec_off(HAK_SEG_SEC_CLASSES) + 4 * s.stride(HAK_SEG_SEC_CLASSES), UINT64_MAX);
  ReadResult r = read(s);
  ASSERT_TRUE(r.ok()) << r.error->to_string();
  const auto& k = r.snapshot.classes[4];
  EXPECT_EQ(k.cache_capacity, uint64_t{UINT32_MAX} * s.spec().slots);
  EXPECT_EQ(k.cache_capacity_bytes(), UINT64_MAX);
  EXPECT_EQ(r.snapshot.classes[5].cache_capacity_bytes(), s.expected_capacity(5) * 16 * 6);
}

TEST(Reader, DerivedValues) {
  segtest::Segment s;
  for (unsigned p = 0; p < HAK_NUM_PATHS; ++p) s.put64(s.objects_at(1, 2, p), p == 0 ? 30 : p == 2 ? 10 : 0);
  s.put64(s.refills_at(1, 2, 0), 3);
  s.put64(s.refills_at(1, 2, 2), 10);
  s.put64(s.class_at(1, 2), 5);
  s.put64(s.class_at(1, 2) + 8, 9);  // frees ahead of allocs: live bytes stay 0
  ReadResult r = read(s);
  ASSERT_TRUE(r.ok());
  const auto& k = r.snapshot.classes[2];
  EXPECT_DOUBLE_EQ(k.hit_rate_percent(0), 75.0);
  EXPECT_DOUBLE_EQ(k.hit_rate_percent(2), 25.0);
  EXPECT_DOUBLE_EQ(k.hit_rate_percent(1), 0.0);
  EXPECT_DOUBLE_EQ(k.objects_per_refill(0), 10.0);
  EXPECT_DOUBLE_EQ(k.objects_per_refill(2), 1.0);
  EXPECT_DOUBLE_EQ(k.objects_per_refill(1), 0.0);
  EXPECT_EQ(k.live_bytes(), 0u);
  EXPECT_EQ(k.refilled_objects(), 40u);
}

// One test per content-level reason; the file-level ones are in segment_file_test.cc.
TEST(ReaderRejects, Truncated) {
  segtest::Segment s;
  s.bytes().resize(s.bytes().size() - 1);
  EXPECT_EQ(verdict(s), "truncated");
  s.bytes().resize(100);
  EXPECT_EQ(verdict(s), "truncated");
  s.bytes().clear();
  EXPECT_EQ(verdict(s), "truncated");
}

TEST(ReaderRejects, NotPublished) {
  segtest::Segment s;
  std::fill(s.bytes().begin(), s.bytes().end(), 0);
  EXPECT_EQ(verdict(s), "not_published");
}

TEST(ReaderRejects, BadMagic) {
  segtest::Segment s;
  s.header().magic ^= 1;
  EXPECT_EQ(verdict(s), "bad_magic");
}

TEST(ReaderRejects, UnknownMajorNamesBothVersions) {
  segtest::Spec spec;
  spec.major = HAK_SEG_ABI_MAJOR + 1;
  spec.minor = 7;
  segtest::Segment s(spec);
  ReadResult r = read(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->reason, Reason::kUnknownMajor);
  EXPECT_NE(r.error->message.find("is 2.7"), std::string::npos) << r.error->message;
  EXPECT_NE(r.error->message.find("knows major 1"), std::string::npos) << r.error->message;
}

TEST(ReaderRejects, BadHeader) {
  segtest::Segment a;
  a.header().header_size = sizeof(hak_seg_header) - 8;
  EXPECT_EQ(verdict(a), "bad_header");
  segtest::Segment b;
  b.header().segment_size = uint64_t{HAK_SEG_MAX_SIZE} + 4096;
  EXPECT_EQ(verdict(b), "bad_header");
  segtest::Segment c;
  c.header().segment_size = 16;
  EXPECT_EQ(verdict(c), "bad_header");
}

TEST(ReaderRejects, SectionOutOfRange) {
  segtest::Segment a;
  a.section(HAK_SEG_SEC_SLOTS).offset = a.header().segment_size - 8;
  EXPECT_EQ(verdict(a), "section_out_of_range");
  segtest::Segment b;
  b.section(HAK_SEG_SEC_LOCKS).offset = ~uint64_t{0} - 4;  // would wrap
  EXPECT_EQ(verdict(b), "section_out_of_range");
  segtest::Segment c;
  c.section(HAK_SEG_SEC_CLASSES).offset = 8;  // inside the header
  EXPECT_EQ(verdict(c), "section_out_of_range");
  segtest::Segment d;
  d.section(HAK_SEG_SEC_LOCKS).offset = d.section(HAK_SEG_SEC_PROCESS).offset;  // overlap
  EXPECT_EQ(verdict(d), "section_out_of_range");
}

TEST(ReaderRejects, AbsurdCount) {
  segtest::Segment a;
  a.section(HAK_SEG_SEC_SLOTS).count = HAK_SEG_MAX_RECORDS + 1;
  EXPECT_EQ(verdict(a), "absurd_count");
  segtest::Segment b;
  b.section(HAK_SEG_SEC_SETTINGS).stride = HAK_SEG_MAX_STRIDE + 8;
  EXPECT_EQ(verdict(b), "absurd_count");
  segtest::Segment c;
  c.header().num_paths = 1u << 20;
  EXPECT_EQ(verdict(c), "absurd_count");
  segtest::Segment d;
  d.header().num_sections = HAK_SEG_MAX_SECTIONS + 1;
  EXPECT_EQ(verdict(d), "absurd_count");
}

TEST(ReaderRejects, BadLayout) {
  segtest::Segment a;
  a.section(HAK_SEG_SEC_LOCKS).stride = sizeof(hak_seg_lock) - 8;
  EXPECT_EQ(verdict(a), "bad_layout");
  segtest::Segment b;
  b.section(HAK_SEG_SEC_LOCKS).count = HAK_NUM_LOCKS - 1;
  EXPECT_EQ(verdict(b), "bad_layout");
  segtest::Segment c;
  c.header().num_classes = HAK_NUM_CLASSES - 1;
  EXPECT_EQ(verdict(c), "bad_layout");
  segtest::Segment d;
  d.header().num_paths = HAK_NUM_PATHS + 1;  // slot records would have to be longer
  EXPECT_EQ(verdict(d), "bad_layout");
  segtest::Segment e;
  e.header().num_sections = HAK_SEG_NUM_SECTIONS - 1;
  EXPECT_EQ(verdict(e), "bad_layout");
  segtest::Segment f;
  f.section(HAK_SEG_SEC_PROCESS).count = 0;
  EXPECT_EQ(verdict(f), "bad_layout");
}

TEST(ReaderRejects, BadString) {
  segtest::Segment a;
  std::memset(a.header().comm, 'x', sizeof a.header().comm);
  EXPECT_EQ(verdict(a), "bad_string");
  segtest::Segment b;
  std::memset(&b.bytes()[b.setting_at(1) + 48], 'v', 208);
  EXPECT_EQ(verdict(b), "bad_string");
}

TEST(ReaderRejects, BadPid) {
  segtest::Segment a;
  a.header().pid = 0;
  EXPECT_EQ(verdict(a), "bad_pid");
  a.header().pid = -5;
  EXPECT_EQ(verdict(a), "bad_pid");
  segtest::Segment b;
  ReadOptions o;
  o.expected_pid = 4243;
  EXPECT_EQ(verdict(b, o), "bad_pid");
  o.expected_pid = 4242;
  EXPECT_EQ(verdict(b, o), "ok");
}

TEST(ReaderRejects, UnstableWhenTheGenerationStaysOdd) {
  segtest::Segment s;
  s.header().generation = 7;
  ReadOptions o;
  o.max_attempts = 3;
  ReadResult r = read(s, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->reason, Reason::kUnstable);
  EXPECT_EQ(r.attempts, 3);
}

TEST(Reasons, UniqueSnakeCaseNames) {
  std::set<std::string> seen;
  for (int i = 0; i < hakmem::reader::kNumReasons; ++i) {
    auto r = static_cast<Reason>(i);
    std::string name(reason_name(r));
    EXPECT_TRUE(seen.insert(name).second) << name;
    for (char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << name;
  }
  EXPECT_EQ(reason_name(Reason::kSectionOutOfRange), "section_out_of_range");
}

// Random scribbles over a valid segment: a rejection with a reason or a reading, never a
// crash (the asan preset runs this too).
TEST(Reader, SurvivesRandomScribbles) {
  std::mt19937_64 rng(20260);
  segtest::Segment clean;
  clean.fill_counts();
  for (int round = 0; round < 3000; ++round) {
    std::vector<unsigned char> b = clean.bytes();
    int n = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < n; ++i) {
      // Mostly the header, where the structure is.
      size_t at = rng() % 2 ? rng() % sizeof(hak_seg_header) : rng() % b.size();
      b[at] = static_cast<unsigned char>(rng());
    }
    if (rng() % 8 == 0) b.resize(rng() % b.size());
    ReadResult r = read_segment_bytes(b.data(), b.size());
    if (!r.ok()) EXPECT_FALSE(r.error->message.empty());
  }
}

}  // namespace
