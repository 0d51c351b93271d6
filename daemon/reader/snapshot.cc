// See snapshot.h: the derived values, computed one way for every tool.
#include "reader/snapshot.h"

namespace hakmem::reader {

uint64_t ClassStats::live_bytes() const {
  uint64_t held = counters.allocs + inherited_blocks;
  if (held < counters.frees) return 0;
  return (held - counters.frees) * size;
}

uint64_t ClassStats::refilled_objects() const {
  uint64_t n = 0;
  for (uint64_t o : counters.refill_objects) n += o;
  return n;
}

uint64_t ClassStats::refill_hits() const {
  uint64_t n = 0;
  for (uint64_t r : counters.refills) n += r;
  return n;
}

double ClassStats::hit_rate_percent(std::size_t path) const {
  // Summed as doubles: counters from a hostile segment may wrap a uint64_t sum (share > 100 %).
  double total = 0;
  for (uint64_t o : counters.refill_objects) total += static_cast<double>(o);
  if (total == 0 || path >= kNumPaths) return 0.0;
  return 100.0 * static_cast<double>(counters.refill_objects[path]) / total;
}

double ClassStats::objects_per_refill(std::size_t path) const {
  if (path >= kNumPaths || counters.refills[path] == 0) return 0.0;
  return static_cast<double>(counters.refill_objects[path]) /
         static_cast<double>(counters.refills[path]);
}

bool ClassStats::active() const {
  bool resized = false;
  for (uint64_t r : cache_resizes) resized = resized || r != 0;
  return counters.allocs != 0 || counters.frees != 0 || counters.remote_frees != 0 ||
         refill_hits() != 0 || refilled_objects() != 0 || slabs_in_use != 0 || inherited_blocks != 0 ||
         resized;
}

uint64_t ClassStats::cache_capacity_bytes() const {
  uint64_t bytes;
  return __builtin_mul_overflow(cache_capacity, size, &bytes) ? UINT64_MAX : bytes;
}

const std::string* Snapshot::setting(std::string_view name) const {
  for (const Setting& s : settings) {
    if (s.name == name) return &s.value;
  }
  return nullptr;
}

uint64_t Snapshot::small_live_bytes() const {
  uint64_t n = 0;
  for (const ClassStats& c : classes) n += c.live_bytes();
  return n;
}

}  // namespace hakmem::reader
