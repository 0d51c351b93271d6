// What the collector exports of one accepted process: the reader's snapshot (already
// validated, slots summed) seen through the few fields the metric families need. Filled in
// segment_check.cc, the only file that knows the reader's types; the collector knows only this.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "hakmem/telemetry_abi.h"

namespace hakmem::daemon {

struct ClassView {
  unsigned index = 0;
  uint64_t size = 0;
  hak_seg_class_counters counters{};  // summed over every slot
  uint64_t slabs_in_use = 0;
};

struct ProcessView {
  int pid = 0;
  std::string comm;
  unsigned abi_major = 0;
  unsigned abi_minor = 0;
  uint64_t start_time_ticks = 0;
  uint64_t created_ns = 0;
  std::vector<std::pair<std::string, std::string>> settings;  // HAKMEM_* name, value
  std::vector<ClassView> classes;                             // only classes the process used
  std::vector<hak_seg_lock> locks;                            // in HAK_LOCKS order
  hak_seg_process process{};
};

}  // namespace hakmem::daemon
