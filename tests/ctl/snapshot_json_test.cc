// hakmemctl's snapshot document in process (runs under the sanitizer presets too): a reading
// of a synthesized segment survives JSON text and back field for field, and a broken
// document is refused with the JSON path that failed.
#include <gtest/gtest.h>

#include <cstring>

#include "reader/segment_reader.h"
#include "segment_builder.h"
#include "snapshot_json.h"

namespace {

using hakmem::ctl::snapshot_from_json;
using hakmem::ctl::snapshot_text;
using hakmem::ctl::snapshot_to_json;
using hakmem::reader::Snapshot;
using nlohmann::json;

Snapshot synthesized() {
  segtest::Segment s;
  s.fill_counts();
  auto r = hakmem::reader::read_segment_bytes(s.bytes().data(), s.bytes().size());
  EXPECT_TRUE(r.ok());
  return r.snapshot;
}

TEST(SnapshotJson, RoundTripsEveryField) {
  Snapshot a = synthesized();
  json j = json::parse(snapshot_text(snapshot_to_json(a)));
  Snapshot b;
  std::string error;
  ASSERT_TRUE(snapshot_from_json(j, &b, &error)) << error;
  EXPECT_EQ(b.pid, a.pid);
  EXPECT_EQ(b.comm, a.comm);
  EXPECT_EQ(b.abi_major, a.abi_major);
  EXPECT_EQ(b.abi_minor, a.abi_minor);
  EXPECT_EQ(b.flags, a.flags);
  EXPECT_EQ(b.start_time_ticks, a.start_time_ticks);
  EXPECT_EQ(b.created_ns, a.created_ns);
  EXPECT_EQ(b.update_ns, a.update_ns);
  EXPECT_EQ(b.generation, a.generation);
  EXPECT_EQ(b.taken_ns, a.taken_ns);
  ASSERT_EQ(b.settings.size(), a.settings.size());
  for (std::size_t i = 0; i < a.settings.size(); ++i) {
    EXPECT_EQ(b.settings[i].name, a.settings[i].name);
    EXPECT_EQ(b.settings[i].value, a.settings[i].value);
  }
  ASSERT_EQ(b.classes.size(), a.classes.size());
  for (std::size_t c = 0; c < a.classes.size(); ++c) {
    EXPECT_EQ(b.classes[c].size, a.classes[c].size) << c;
    EXPECT_EQ(b.classes[c].slabs_in_use, a.classes[c].slabs_in_use) << c;
    EXPECT_EQ(b.classes[c].cache_capacity, a.classes[c].cache_capacity) << c;
    EXPECT_EQ(0, memcmp(b.classes[c].cache_resizes, a.classes[c].cache_resizes, sizeof a.classes[c].cache_resizes)) << c;
    EXPECT_EQ(0, memcmp(&b.classes[c].counters, &a.classes[c].counters, sizeof a.classes[c].counters)) << c;
  }
  ASSERT_EQ(b.locks.size(), a.locks.size());
  EXPECT_EQ(0, memcmp(b.locks.data(), a.locks.data(), a.locks.size() * sizeof a.locks[0]));
  EXPECT_EQ(0, memcmp(&b.process, &a.process, sizeof a.process));
  ASSERT_TRUE(a.has_resident && a.has_cache_stats);  // the synthesized segment's minor is this reader's
  EXPECT_EQ(b.has_resident, a.has_resident);
  EXPECT_EQ(b.has_cache_stats, a.has_cache_stats);
  ASSERT_TRUE(a.has_peak);
  EXPECT_TRUE(b.has_peak);
  EXPECT_NE(b.process.peak_live_bytes, 0u);
  EXPECT_NE(b.process.span_cache_events[0], 0u);
  EXPECT_NE(b.classes[2].cache_capacity, 0u);
  EXPECT_EQ(b.slots, a.slots);
  EXPECT_EQ(b.live_slots, a.live_slots);
}

TEST(SnapshotJson, DerivedValuesAreWritten) {
  Snapshot a = synthesized();
  json j = json::parse(snapshot_text(snapshot_to_json(a)));
  const json& c = j["classes"][2];
  EXPECT_EQ(c["class"], 2);
  EXPECT_EQ(c["live_bytes"], a.classes[2].live_bytes());
  EXPECT_DOUBLE_EQ(c["hit_rate_percent"]["slab_local"].get<double>(), a.classes[2].hit_rate_percent(0));
  EXPECT_DOUBLE_EQ(c["objects_per_refill"]["adopt"].get<double>(), a.classes[2].objects_per_refill(4));
  EXPECT_EQ(c["cache_capacity_bytes"], a.classes[2].cache_capacity_bytes());
  EXPECT_EQ(c["cache_resizes"]["shrink"], a.classes[2].cache_resizes[1]);
  EXPECT_EQ(j["process"]["span_cache_events"]["evict"], a.process.span_cache_events[3]);
}

// A document of ABI minor 4 (no span_cache_bytes) loads without the span cache and the cache
// capacities; resizes of a class it still lists come back after a round trip, as
// inherited_blocks do below.
TEST(SnapshotJson, CacheStatsAbsentBeforeMinorFiveAndResizesSurvive) {
  json j = json::parse(snapshot_text(snapshot_to_json(synthesized())));
  j["process"].erase("span_cache_bytes");
  for (json& c : j["classes"]) c.erase("cache_capacity");
  Snapshot a, b;
  std::string error;
  ASSERT_TRUE(snapshot_from_json(j, &a, &error)) << error;
  EXPECT_FALSE(a.has_cache_stats);
  EXPECT_EQ(a.process.span_cache_events[0], 0u);  // read only with the bytes that say they exist
  unsigned cls = j["classes"][0]["class"].get<unsigned>();
  EXPECT_EQ(a.classes[cls].cache_capacity, 0u);
  ASSERT_NE(a.classes[cls].cache_resizes[0], 0u);
  json again = json::parse(snapshot_text(snapshot_to_json(a)));
  EXPECT_FALSE(again["process"].contains("span_cache_events"));
  EXPECT_FALSE(again["classes"][0].contains("cache_capacity"));
  ASSERT_TRUE(snapshot_from_json(again, &b, &error)) << error;
  EXPECT_EQ(b.classes[cls].cache_resizes[0], a.classes[cls].cache_resizes[0]);
  EXPECT_EQ(b.process.cache_resizes[0][cls], a.classes[cls].cache_resizes[0]);
}

// A document of ABI minor 5 (no process.peak) loads without the peak and writes none back; a
// peak missing one of its three values is refused, naming it.
TEST(SnapshotJson, PeakAbsentBeforeMinorSix) {
  json j = json::parse(snapshot_text(snapshot_to_json(synthesized())));
  ASSERT_EQ(j["process"]["peak"]["mapped_bytes"], 9u << 20);
  json old = j;
  old["process"].erase("peak");
  Snapshot a;
  std::string error;
  ASSERT_TRUE(snapshot_from_json(old, &a, &error)) << error;
  EXPECT_FALSE(a.has_peak);
  EXPECT_EQ(a.process.peak_resident_bytes, 0u);
  EXPECT_FALSE(snapshot_to_json(a)["process"].contains("peak"));
  j["process"]["peak"].erase("live_bytes");
  EXPECT_FALSE(snapshot_from_json(j, &a, &error));
  EXPECT_EQ(error, "$.process.peak.live_bytes: missing");
}

TEST(SnapshotJson, InvalidUtf8FromASegmentIsReplacedNotThrown) {
  Snapshot a = synthesized();
  a.comm = "bad\xff\xfe";
  std::string text;
  ASSERT_NO_THROW(text = snapshot_text(snapshot_to_json(a)));
  EXPECT_NE(text.find("bad\xef\xbf\xbd"), std::string::npos);  // U+FFFD
}

std::string error_of(json j) {
  Snapshot s;
  std::string error;
  EXPECT_FALSE(snapshot_from_json(j, &s, &error));
  return error;
}

// Found by tests/fuzz/snapshot_json_fuzz (its round trip): a document without resident_bytes
// (ABI minor < 4) whose class has inherited_blocks loaded them and wrote them back without; and
// a class listed twice loaded as a mix of both entries.
TEST(SnapshotJson, InheritedBlocksSurviveARoundTripAndAClassIsListedOnce) {
  json j = json::parse(snapshot_text(snapshot_to_json(synthesized())));
  j["process"].erase("resident_bytes");
  j["classes"][0]["inherited_blocks"] = 5;
  Snapshot a, b;
  std::string error;
  ASSERT_TRUE(snapshot_from_json(j, &a, &error)) << error;
  ASSERT_FALSE(a.has_resident);
  unsigned cls = j["classes"][0]["class"].get<unsigned>();
  ASSERT_EQ(a.classes[cls].inherited_blocks, 5u);
  ASSERT_TRUE(snapshot_from_json(json::parse(snapshot_text(snapshot_to_json(a))), &b, &error)) << error;
  EXPECT_EQ(b.classes[cls].inherited_blocks, 5u);
  EXPECT_EQ(b.process.inherited_blocks[cls], 5u);

  j["classes"][1]["class"] = cls;
  EXPECT_FALSE(snapshot_from_json(j, &a, &error));
  EXPECT_EQ(error, "$.classes[1].class: class " + std::to_string(cls) + " is listed twice");
}

TEST(SnapshotJson, ErrorsNameTheJsonPath) {
  json good = json::parse(snapshot_text(snapshot_to_json(synthesized())));
  json j = good;
  j["classes"][1]["frees"] = -3;
  EXPECT_EQ(error_of(j), "$.classes[1].frees: expected an unsigned integer, found number");
  j = good;
  j["locks"]["pool"].erase("contended");
  EXPECT_EQ(error_of(j), "$.locks.pool.contended: missing");
  j = good;
  j["process"]["superslabs"]["active"] = "2";
  EXPECT_EQ(error_of(j), "$.process.superslabs.active: expected an unsigned integer, found string");
  j = good;
  j["classes"][0]["cache_resizes"]["grow"] = 1.5;
  EXPECT_EQ(error_of(j), "$.classes[0].cache_resizes.grow: expected an unsigned integer, found number");
  j = good;
  j["process"]["span_cache_events"] = json::array();
  EXPECT_EQ(error_of(j), "$.process.span_cache_events: expected an object");
  j = good;
  j["format"] = "something";
  EXPECT_EQ(error_of(j), "$.format: not \"hakmem-snapshot\"");
  j = good;
  j["classes"] = json::object();
  EXPECT_EQ(error_of(j), "$.classes: expected an array");
  EXPECT_EQ(error_of(json::array()), "$: expected an object");
}

}  // namespace
