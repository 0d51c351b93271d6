// See snapshot_json.h. Every list of names comes from reader/names.h (the ABI's X-macros);
// counter fields are walked with the ABI's own field lists.
#include "snapshot_json.h"

#include <stdexcept>
#include <vector>

#include "reader/names.h"

namespace hakmem::ctl {

using nlohmann::json;
using nlohmann::ordered_json;
using reader::Snapshot;

namespace {

template <typename Names>
ordered_json by_name(const Names& names, const uint64_t* values) {
  ordered_json j = ordered_json::object();
  for (std::size_t i = 0; i < names.size(); ++i) j[std::string(names[i])] = values[i];
  return j;
}

// The failure of one JSON path; thrown inside the loader only, caught in snapshot_from_json.
struct PathError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const json& member(const json& j, const std::string& path, const char* key) {
  if (!j.is_object()) throw PathError(path + ": expected an object");
  auto it = j.find(key);
  if (it == j.end()) throw PathError(path + "." + key + ": missing");
  return *it;
}

uint64_t u64(const json& j, const std::string& path) {
  if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<int64_t>() >= 0))
    throw PathError(path + ": expected an unsigned integer, found " + std::string(j.type_name()));
  return j.get<uint64_t>();
}

uint64_t u64_member(const json& j, const std::string& path, const char* key) {
  return u64(member(j, path, key), path + "." + key);
}

std::string str_member(const json& j, const std::string& path, const char* key) {
  const json& v = member(j, path, key);
  if (!v.is_string()) throw PathError(path + "." + key + ": expected a string, found " + v.type_name());
  return v.get<std::string>();
}

// A member added after the format's first version: `absent` when a document lacks it.
bool bool_member_or(const json& j, const std::string& path, const char* key, bool absent) {
  auto it = j.find(key);
  if (it == j.end()) return absent;
  if (!it->is_boolean()) throw PathError(path + "." + key + ": expected true or false, found " + it->type_name());
  return it->get<bool>();
}

// Fills values[i] from object j[names[i]]; names the file has and this tool does not are ignored
// (a newer writer's), missing ones stay 0.
template <typename Names>
void from_names(const json& j, const std::string& path, const Names& names, uint64_t* values) {
  if (!j.is_object()) throw PathError(path + ": expected an object");
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto it = j.find(std::string(names[i]));
    if (it != j.end()) values[i] = u64(*it, path + "." + std::string(names[i]));
  }
}

void load(const json& j, Snapshot* s) {
  const std::string root = "$";
  if (str_member(j, root, "format") != kSnapshotFormat)
    throw PathError("$.format: not \"" + std::string(kSnapshotFormat) + "\"");
  uint64_t version = u64_member(j, root, "format_version");
  if (version != kSnapshotFormatVersion)
    throw PathError("$.format_version: " + std::to_string(version) + ", this hakmemctl reads " +
                    std::to_string(kSnapshotFormatVersion));
  uint64_t pid = u64_member(j, root, "pid");
  if (pid == 0 || pid > 0x7fffffff) throw PathError("$.pid: not a pid");
  s->pid = static_cast<int>(pid);
  s->comm = str_member(j, root, "comm");
  s->abi_major = static_cast<unsigned>(u64_member(j, root, "abi_major"));
  s->abi_minor = static_cast<unsigned>(u64_member(j, root, "abi_minor"));
  s->flags = static_cast<uint32_t>(u64_member(j, root, "flags"));
  s->start_time_ticks = u64_member(j, root, "start_time_ticks");
  s->created_ns = u64_member(j, root, "created_ns");
  s->update_ns = u64_member(j, root, "update_ns");
  s->generation = u64_member(j, root, "generation");
  s->taken_ns = u64_member(j, root, "taken_ns");
  // Added within format version 1: absent in older documents.
  s->process_stopped = bool_member_or(j, root, "process_stopped", false);
  s->live_caches = bool_member_or(j, root, "live_caches", false);

  const json& settings = member(j, root, "settings");
  if (!settings.is_object()) throw PathError("$.settings: expected an object");
  for (const auto& [name, value] : settings.items()) {
    if (!value.is_string()) throw PathError("$.settings." + name + ": expected a string");
    s->settings.push_back({name, value.get<std::string>()});
  }
  // Added within format version 1: absent in older documents (sources stay "unknown").
  if (auto it = j.find("setting_sources"); it != j.end()) {
    if (!it->is_object()) throw PathError("$.setting_sources: expected an object");
    for (reader::Setting& st : s->settings) {
      auto src = it->find(st.name);
      if (src == it->end()) continue;
      if (!src->is_string()) throw PathError("$.setting_sources." + st.name + ": expected a string");
      st.source = src->get<std::string>();
    }
  }

  s->classes.resize(reader::kNumClasses);
  for (unsigned c = 0; c < reader::kNumClasses; ++c) s->classes[c].index = c;
  const json& classes = member(j, root, "classes");
  if (!classes.is_array()) throw PathError("$.classes: expected an array");
  std::vector<bool> seen(reader::kNumClasses);
  for (std::size_t i = 0; i < classes.size(); ++i) {
    std::string path = "$.classes[" + std::to_string(i) + "]";
    const json& k = classes[i];
    uint64_t index = u64_member(k, path, "class");
    if (index >= reader::kNumClasses) continue;  // a class this tool does not know
    // Twice, the entries would mix (a member only the first has would survive the second).
    if (seen[index]) throw PathError(path + ".class: class " + std::to_string(index) + " is listed twice");
    seen[index] = true;
    reader::ClassStats& cs = s->classes[index];
    cs.size = u64_member(k, path, "size");
    cs.slabs_in_use = u64_member(k, path, "slabs_in_use");
    s->process.slabs_in_use[index] = cs.slabs_in_use;
    // Added within format version 1 (ABI minor 4): absent in older documents.
    if (k.contains("inherited_blocks")) cs.inherited_blocks = u64_member(k, path, "inherited_blocks");
    s->process.inherited_blocks[index] = cs.inherited_blocks;
    // Added within format version 1 (ABI minor 5): absent in older documents.
    if (k.contains("cache_capacity")) cs.cache_capacity = u64_member(k, path, "cache_capacity");
    if (k.contains("cache_resizes"))
      from_names(member(k, path, "cache_resizes"), path + ".cache_resizes", reader::kCacheResizeNames, cs.cache_resizes);
    for (unsigned d = 0; d < reader::kNumCacheResizes; ++d) s->process.cache_resizes[d][index] = cs.cache_resizes[d];
#define HAKMEMCTL_X_LOAD(field) cs.counters.field = u64_member(k, path, #field);
    HAK_SEG_CLASS_COUNTERS(HAKMEMCTL_X_LOAD)
#undef HAKMEMCTL_X_LOAD
    from_names(member(k, path, "refills"), path + ".refills", reader::kPathNames, cs.counters.refills);
    from_names(member(k, path, "refill_objects"), path + ".refill_objects", reader::kPathNames,
               cs.counters.refill_objects);
  }

  const json& locks = member(j, root, "locks");
  s->locks.assign(reader::kNumLocks, hak_seg_lock{});
  for (std::size_t i = 0; i < reader::kNumLocks; ++i) {
    std::string name(reader::kLockNames[i]);
    if (!locks.is_object() || !locks.contains(name)) continue;
    const json& l = locks[name];
    std::string path = "$.locks." + name;
#define HAKMEMCTL_X_LOAD(field) s->locks[i].field = u64_member(l, path, #field);
    HAK_SEG_LOCK_COUNTERS(HAKMEMCTL_X_LOAD)
#undef HAKMEMCTL_X_LOAD
  }

  const json& p = member(j, root, "process");
  const std::string pp = "$.process";
#define HAKMEMCTL_X_LOAD(field) s->process.field = u64_member(p, pp, #field);
  HAK_SEG_PROCESS_SCALARS(HAKMEMCTL_X_LOAD)
#undef HAKMEMCTL_X_LOAD
  from_names(member(p, pp, "pool_acquires"), pp + ".pool_acquires", reader::kPoolStageNames, s->process.pool_acquires);
  from_names(member(p, pp, "pool_releases"), pp + ".pool_releases", reader::kPoolReleaseNames, s->process.pool_releases);
  // Added within format version 1, for segments that have it (ABI minor 6 on).
  s->has_reclaim = member(p, pp, "pool_releases").contains("reclaim");
  from_names(member(p, pp, "superslabs"), pp + ".superslabs", reader::kSuperslabStateNames, s->process.superslabs);
  from_names(member(p, pp, "os_calls"), pp + ".os_calls", reader::kOsCallNames, s->process.os_calls);
  from_names(member(p, pp, "os_bytes"), pp + ".os_bytes", reader::kOsCallNames, s->process.os_bytes);
  // Added within format version 1, and only for segments that have it (ABI minor 4 on).
  s->has_resident = p.contains("resident_bytes");
  if (s->has_resident) s->process.resident_bytes = u64_member(p, pp, "resident_bytes");
  // The same for ABI minor 5's span cache: its events are read only with its bytes, which say
  // the segment had them (written back only then).
  s->has_cache_stats = p.contains("span_cache_bytes");
  if (s->has_cache_stats) {
    s->process.span_cache_bytes = u64_member(p, pp, "span_cache_bytes");
    if (p.contains("span_cache_events"))
      from_names(member(p, pp, "span_cache_events"), pp + ".span_cache_events", reader::kSpanCacheEventNames,
                 s->process.span_cache_events);
  }
  // ABI minor 6's footprint at the peak: the three together or none.
  s->has_peak = p.contains("peak");
  if (s->has_peak) {
    const json& k = member(p, pp, "peak");
    const std::string kp = pp + ".peak";
    s->process.peak_resident_bytes = u64_member(k, kp, "resident_bytes");
    s->process.peak_mapped_bytes = u64_member(k, kp, "mapped_bytes");
    s->process.peak_live_bytes = u64_member(k, kp, "live_bytes");
  }

  const json& slots = member(j, root, "slots");
  s->slots = static_cast<unsigned>(u64_member(slots, "$.slots", "total"));
  s->live_slots = static_cast<unsigned>(u64_member(slots, "$.slots", "live"));
}

}  // namespace

ordered_json snapshot_to_json(const Snapshot& s) {
  ordered_json j;
  j["format"] = kSnapshotFormat;
  j["format_version"] = kSnapshotFormatVersion;
  j["pid"] = s.pid;
  j["comm"] = s.comm;
  j["abi_major"] = s.abi_major;
  j["abi_minor"] = s.abi_minor;
  j["flags"] = s.flags;
  j["start_time_ticks"] = s.start_time_ticks;
  j["created_ns"] = s.created_ns;
  j["update_ns"] = s.update_ns;
  j["generation"] = s.generation;
  j["taken_ns"] = s.taken_ns;
  j["process_stopped"] = s.process_stopped;
  j["live_caches"] = s.live_caches;
  ordered_json settings = ordered_json::object();
  ordered_json sources = ordered_json::object();
  for (const reader::Setting& st : s.settings) {
    settings[st.name] = st.value;
    sources[st.name] = st.source;
  }
  j["settings"] = settings;
  j["setting_sources"] = sources;

  ordered_json classes = ordered_json::array();
  for (const reader::ClassStats& c : s.classes) {
    if (!c.active()) continue;
    ordered_json k;
    k["class"] = c.index;
    k["size"] = c.size;
#define HAKMEMCTL_X_SAVE(field) k[#field] = c.counters.field;
    HAK_SEG_CLASS_COUNTERS(HAKMEMCTL_X_SAVE)
#undef HAKMEMCTL_X_SAVE
    k["live_bytes"] = c.live_bytes();
    k["slabs_in_use"] = c.slabs_in_use;
    // Written for ABI minor 4 on, and whenever a document loaded had it: a count the loader
    // took must come back (tests/fuzz/snapshot_json_fuzz's round trip).
    if (s.has_resident || c.inherited_blocks != 0) k["inherited_blocks"] = c.inherited_blocks;
    // Likewise for ABI minor 5's; the bytes are derived (cache_capacity is in blocks).
    bool resized = c.cache_resizes[0] != 0 || c.cache_resizes[1] != 0;
    static_assert(reader::kNumCacheResizes == 2, "resized looks at every entry");
    if (s.has_cache_stats || c.cache_capacity != 0) {
      k["cache_capacity"] = c.cache_capacity;
      k["cache_capacity_bytes"] = c.cache_capacity_bytes();
    }
    if (s.has_cache_stats || resized) k["cache_resizes"] = by_name(reader::kCacheResizeNames, c.cache_resizes);
    k["refills"] = by_name(reader::kPathNames, c.counters.refills);
    k["refill_objects"] = by_name(reader::kPathNames, c.counters.refill_objects);
    ordered_json rate = ordered_json::object(), per = ordered_json::object();
    for (std::size_t p = 0; p < reader::kNumPaths; ++p) {
      rate[std::string(reader::kPathNames[p])] = c.hit_rate_percent(p);
      per[std::string(reader::kPathNames[p])] = c.objects_per_refill(p);
    }
    k["hit_rate_percent"] = rate;
    k["objects_per_refill"] = per;
    classes.push_back(k);
  }
  j["classes"] = classes;

  ordered_json locks = ordered_json::object();
  for (std::size_t i = 0; i < s.locks.size() && i < reader::kNumLocks; ++i) {
    ordered_json l;
#define HAKMEMCTL_X_SAVE(field) l[#field] = s.locks[i].field;
    HAK_SEG_LOCK_COUNTERS(HAKMEMCTL_X_SAVE)
#undef HAKMEMCTL_X_SAVE
    locks[std::string(reader::kLockNames[i])] = l;
  }
  j["locks"] = locks;

  ordered_json p;
#define HAKMEMCTL_X_SAVE(field) p[#field] = s.process.field;
  HAK_SEG_PROCESS_SCALARS(HAKMEMCTL_X_SAVE)
#undef HAKMEMCTL_X_SAVE
  p["pool_acquires"] = by_name(reader::kPoolStageNames, s.process.pool_acquires);
  p["pool_releases"] = by_name(reader::kPoolReleaseNames, s.process.pool_releases);
  if (!s.has_reclaim) p["pool_releases"].erase("reclaim");
  p["superslabs"] = by_name(reader::kSuperslabStateNames, s.process.superslabs);
  p["os_calls"] = by_name(reader::kOsCallNames, s.process.os_calls);
  p["os_bytes"] = by_name(reader::kOsCallNames, s.process.os_bytes);
  if (s.has_resident) p["resident_bytes"] = s.process.resident_bytes;
  if (s.has_cache_stats) {
    p["span_cache_bytes"] = s.process.span_cache_bytes;
    p["span_cache_events"] = by_name(reader::kSpanCacheEventNames, s.process.span_cache_events);
  }
  if (s.has_peak) {
    p["peak"] = {{"resident_bytes", s.process.peak_resident_bytes},
                 {"mapped_bytes", s.process.peak_mapped_bytes},
                 {"live_bytes", s.process.peak_live_bytes}};
  }
  j["process"] = p;
  j["slots"] = {{"total", s.slots}, {"live", s.live_slots}};
  return j;
}

std::string snapshot_text(const ordered_json& j) {
  return j.dump(2, ' ', false, ordered_json::error_handler_t::replace);
}

bool snapshot_from_json(const json& j, Snapshot* out, std::string* error) {
  Snapshot s;
  try {
    load(j, &s);
  } catch (const PathError& e) {
    *error = e.what();
    return false;
  } catch (const json::exception& e) {  // a wrong type deeper down
    *error = std::string("$: ") + e.what();
    return false;
  }
  *out = std::move(s);
  return true;
}

}  // namespace hakmem::ctl
