// The resident_bytes gauge (telemetry_abi.h): each owner of allocator memory reports the pages
// it starts to use and the pages it discards or unmaps, so that resident minus live bytes is
// memory held and not in use, with neither never-touched nor discarded pages in it (the
// dashboards' fragmentation). Invariant: resident_bytes <= mapped_bytes, each page counted
// once while it is mapped, touched and not discarded. Slow paths only: one relaxed atomic add,
// and one relaxed load for the footprint at the peak (resident_peak.h).
#pragma once
#include <cstddef>
#include <cstdint>

#include "base/constants.h"
#include "counters/resident_peak.h"
#include "counters/segment_storage.h"

namespace hakmem {

inline void resident_grow(size_t bytes) {
  uint64_t now = seg_add(process_counts().resident_bytes, bytes) + bytes;
  if (now >= g_next_peak_record.load(std::memory_order_relaxed)) record_resident_peak();
}
inline void resident_shrink(size_t bytes) { seg_sub(process_counts().resident_bytes, bytes); }

// Bytes of the pages that [from, to) uses beyond those below `from`'s page end: what a
// bump-pointer carve from `from` to `to` adds when everything below `from` is counted.
inline size_t pages_reached(uintptr_t from, uintptr_t to) {
  auto end = [](uintptr_t a) { return (a + kPageSize - 1) & ~uintptr_t{kPageSize - 1}; };
  return to > from ? end(to) - end(from) : 0;
}

}  // namespace hakmem
