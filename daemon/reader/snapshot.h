// A Snapshot: one consistent reading of a segment, slots already summed. It is what both
// hakmemctl and hakmemd work from, and what `hakmemctl snapshot` saves as JSON.
//
// Counters use the ABI's own record types (hak_seg_class_counters, hak_seg_lock,
// hak_seg_process), so every field is named once, by the X-macro lists. Entries a newer
// writer has beyond what this reader knows are not kept; fields the writer lacks read as 0.
// Invariants (of a segment read whole): for each class, sum of refills[p] <= sum of
// refill_objects[p] (a refill counted on a path drew at least one object from it).
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hakmem/telemetry_abi.h"
#include "reader/names.h"

namespace hakmem::reader {

struct ClassStats {
  unsigned index = 0;
  uint64_t size = 0;                  // block size in bytes
  hak_seg_class_counters counters{};  // summed over every slot, the retired record included
  uint64_t slabs_in_use = 0;          // gauge, from the process record
  uint64_t inherited_blocks = 0;      // gauge, from the process record: live at the fork (minor 4)
  // Gauge (minor 5): blocks the caches of the LIVE slots may hold, sum of their caches[].cap.
  // Every heap has a capacity for every class, used or not, so it does not make a class active.
  uint64_t cache_capacity = 0;
  // Counters, from the process record (minor 5): per HAK_CACHE_RESIZES entry (grow, shrink).
  uint64_t cache_resizes[HAK_NUM_CACHE_RESIZES] = {};

  // Blocks handed out (or inherited at a fork) and not yet freed, times the size; 0 while
  // frees run ahead (possible only in segments without live caches, or with more heaps than
  // slots, or in a forked child of a writer before minor 4, whose counts were its parent's too).
  uint64_t live_bytes() const;
  uint64_t refilled_objects() const;  // over all paths
  uint64_t refill_hits() const;       // sum of refills[p]: a refill may count on several paths
  // A path's share of all refilled objects of the class, in %; 0 when nothing was refilled.
  double hit_rate_percent(std::size_t path) const;
  // Objects the path supplied per refill that drew from it; 0 when it never did.
  double objects_per_refill(std::size_t path) const;
  // Any count at all: allocs, frees, remote frees, refills, slabs bound, inherited blocks or
  // cache resizes (not the capacity, see above).
  bool active() const;
  uint64_t ops() const { return counters.allocs + counters.frees; }
  // cache_capacity in bytes, saturated at UINT64_MAX: a scribbled size must not wrap it.
  uint64_t cache_capacity_bytes() const;
};

struct Setting {
  std::string name;   // HAKMEM_*
  std::string value;  // as the process uses it, after validation (whole from ABI minor 3 on)
  // Where the value came from: kSettingSourceNames[source] (default, profile, env, live);
  // "unknown" for segments before minor 3.
  std::string source = "unknown";
};

struct Snapshot {
  // Header.
  int pid = 0;
  std::string comm;
  unsigned abi_major = 0;
  unsigned abi_minor = 0;
  // The allocator counts its mremap calls and its segment's own mappings (ABI minor 2 on);
  // older segments are read, but left out of hakmemd's cross-check with the kernel.
  bool has_mremap = false;
  // The slots hold the live class caches (ABI minor 3 on): the counts include every operation
  // made before the read. Older segments' counts lag by what each thread had not published.
  bool live_caches = false;
  // process.resident_bytes is the writer's (ABI minor 4 on); older segments do not tell
  // resident from mapped, and hakmemd serves no hakmem_resident_bytes for them.
  bool has_resident = false;
  // process.span_cache_bytes, span_cache_events and cache_resizes, and the classes'
  // cache_capacity, are the writer's (ABI minor 5 on); for older segments hakmemd serves none
  // of their families (zeros there would read as an idle cache, not an unknown one).
  bool has_cache_stats = false;
  // process.peak_resident_bytes, peak_mapped_bytes and peak_live_bytes are the writer's (ABI
  // minor 6 on); hakmemd serves no hakmem_peak_* families for older segments.
  bool has_peak = false;
  // process.pool_releases[] has the kind reclaim (ABI minor 6 on); for older segments hakmemd
  // serves no series of that kind. Their locks lack the heap lock: `locks` is shorter.
  bool has_reclaim = false;
  uint32_t flags = 0;  // HAK_SEG_FLAG_*
  uint64_t start_time_ticks = 0;
  uint64_t created_ns = 0;
  uint64_t update_ns = 0;
  uint64_t generation = 0;
  uint64_t taken_ns = 0;  // CLOCK_REALTIME when the reader took it
  // The kernel showed the process stopped (a signal or a debugger) just before the read: the
  // counts are as of the stop (they are read from memory, nothing has to answer).
  bool process_stopped = false;

  std::vector<Setting> settings;  // in the writer's order
  std::vector<ClassStats> classes;  // every class the reader knows, index order
  // HAK_LOCKS order: kNumLocks entries, or those the writer had (HAK_SEG_LOCKS_MINOR5 before
  // minor 6).
  std::vector<hak_seg_lock> locks;
  hak_seg_process process{};
  unsigned slots = 0;       // records of the SLOTS section, the retired one included
  unsigned live_slots = 0;  // of which in state LIVE

  // The value of setting `name`, nullptr when the process did not record it.
  const std::string* setting(std::string_view name) const;
  // Sum of live_bytes() over the classes.
  uint64_t small_live_bytes() const;
  // Entries of process.pool_releases[] the writer counted: all, or those before the kind
  // reclaim (minor 6) for an older segment, whose reclaim entry is absent, not zero.
  std::size_t pool_release_kinds() const {
    return has_reclaim ? kNumPoolReleaseKinds : HAK_SEG_POOL_RELEASE_KINDS_MINOR5;
  }
};

}  // namespace hakmem::reader
