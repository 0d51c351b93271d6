// libFuzzer target for hakmemctl's snapshot loader (daemon/ctl/snapshot_json.cc): any bytes
// are a file `hakmemctl compare` may be handed. Oracles besides the sanitizers: a document the
// loader refuses gets an error naming a JSON path ("$..."); one it accepts, written back with
// snapshot_to_json, loads again to the same Snapshot, field for field (classes without
// activity, which the writer leaves out, compare as all zero) and writes the same document.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "snapshot_json.h"

namespace {

using hakmem::reader::ClassStats;
using hakmem::reader::Snapshot;

void require(bool ok, const char* what, const std::string& detail = {}) {
  if (!ok) {
    fprintf(stderr, "snapshot_json_fuzz: %s %s\n", what, detail.c_str());
    abort();
  }
}

template <typename T>
bool same_bytes(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// A class the writer leaves out must be one that loads back as nothing at all.
bool same_class(const ClassStats& a, const ClassStats& b) {
  if (!a.active()) return !b.active();
  return a.index == b.index && a.size == b.size && a.slabs_in_use == b.slabs_in_use &&
         a.inherited_blocks == b.inherited_blocks && a.cache_capacity == b.cache_capacity &&
         same_bytes(a.cache_resizes, b.cache_resizes) && same_bytes(a.counters, b.counters);
}

void require_same(const Snapshot& a, const Snapshot& b) {
  require(a.pid == b.pid && a.comm == b.comm && a.abi_major == b.abi_major && a.abi_minor == b.abi_minor &&
              a.flags == b.flags && a.start_time_ticks == b.start_time_ticks && a.created_ns == b.created_ns &&
              a.update_ns == b.update_ns && a.generation == b.generation && a.taken_ns == b.taken_ns &&
              a.process_stopped == b.process_stopped && a.live_caches == b.live_caches &&
              a.has_resident == b.has_resident && a.has_cache_stats == b.has_cache_stats &&
              a.has_peak == b.has_peak && a.slots == b.slots && a.live_slots == b.live_slots,
          "round trip changed a header field");
  require(a.settings.size() == b.settings.size(), "round trip changed the settings' count");
  for (size_t i = 0; i < a.settings.size(); ++i)
    require(a.settings[i].name == b.settings[i].name && a.settings[i].value == b.settings[i].value &&
                a.settings[i].source == b.settings[i].source,
            "round trip changed a setting", a.settings[i].name);
  require(a.classes.size() == b.classes.size(), "round trip changed the class count");
  for (size_t c = 0; c < a.classes.size(); ++c)
    require(same_class(a.classes[c], b.classes[c]), "round trip changed class", std::to_string(c));
  require(a.locks.size() == b.locks.size(), "round trip changed the lock count");
  for (size_t l = 0; l < a.locks.size(); ++l) require(same_bytes(a.locks[l], b.locks[l]), "round trip changed a lock");
  // The per-class gauges of the process record are the classes' own, compared above.
  hak_seg_process pa = a.process, pb = b.process;
  for (size_t c = 0; c < a.classes.size(); ++c) {
    if (a.classes[c].active()) continue;
    pa.slabs_in_use[c] = pa.inherited_blocks[c] = pb.slabs_in_use[c] = pb.inherited_blocks[c] = 0;
    for (size_t d = 0; d < HAK_NUM_CACHE_RESIZES; ++d) pa.cache_resizes[d][c] = pb.cache_resizes[d][c] = 0;
  }
  require(same_bytes(pa, pb), "round trip changed the process record");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json doc = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;
  Snapshot s;
  std::string error;
  if (!hakmem::ctl::snapshot_from_json(doc, &s, &error)) {
    require(!error.empty() && error[0] == '$', "refused without a JSON path:", error);
    return 0;
  }
  require(error.empty(), "accepted, with an error:", error);
  nlohmann::ordered_json written = hakmem::ctl::snapshot_to_json(s);
  std::string text = hakmem::ctl::snapshot_text(written);
  // Strings keep what the parser accepted (valid UTF-8), so the text parses as it was written.
  nlohmann::json reread = nlohmann::json::parse(text, nullptr, false);
  require(!reread.is_discarded(), "snapshot_text wrote invalid JSON");
  Snapshot again;
  require(hakmem::ctl::snapshot_from_json(reread, &again, &error), "the written snapshot is refused:", error);
  require_same(s, again);
  require(hakmem::ctl::snapshot_text(hakmem::ctl::snapshot_to_json(again)) == text,
          "the reloaded snapshot writes a different document");
  return 0;
}
