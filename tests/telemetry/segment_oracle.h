// The tests' own view of a segment: a deliberately small, trusting reader that sums what the
// writer published, so writer tests do not depend on the reader library they also test.
// It checks just enough (magic, major, section bounds) to fail with a message, not a crash.
#pragma once
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "hakmem/telemetry_abi.h"

namespace oracle {

struct ClassTotals {
  uint64_t allocs = 0, frees = 0, remote_frees = 0;
  uint64_t refills[HAK_NUM_PATHS] = {}, refill_objects[HAK_NUM_PATHS] = {};
  uint64_t objects() const {
    uint64_t n = 0;
    for (uint64_t o : refill_objects) n += o;
    return n;
  }
};

struct Segment {
  std::string error;   // empty when read
  hak_seg_header header{};
  hak_seg_process process{};
  std::vector<hak_seg_setting> settings;
  std::vector<hak_seg_lock> locks;
  ClassTotals classes[HAK_NUM_CLASSES];
};

inline std::string path_for(int pid, const char* dir = nullptr) {
  const char* d = dir != nullptr ? dir : getenv("HAKMEM_STATS_DIR");
  return std::string(d != nullptr ? d : HAK_SEG_DEFAULT_DIR) + "/" HAK_SEG_FILE_PREFIX +
         std::to_string(pid);
}

template <typename T>
bool read_records(int fd, const hak_seg_header& h, unsigned sec, std::vector<T>* out) {
  const hak_seg_section& s = h.sections[sec];
  if (s.stride < sizeof(T) || s.offset + uint64_t{s.count} * s.stride > h.segment_size) return false;
  out->resize(s.count);
  for (uint32_t i = 0; i < s.count; ++i) {
    if (pread(fd, &(*out)[i], sizeof(T), static_cast<off_t>(s.offset + uint64_t{i} * s.stride)) !=
        static_cast<ssize_t>(sizeof(T))) {
      return false;
    }
  }
  return true;
}

inline Segment read(const std::string& path) {
  Segment seg;
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    seg.error = "cannot open " + path + ": " + strerror(errno);
    return seg;
  }
  hak_seg_header& h = seg.header;
  std::vector<hak_seg_process> proc;
  std::vector<hak_seg_slot> slots;
  if (pread(fd, &h, sizeof h, 0) != static_cast<ssize_t>(sizeof h)) {
    seg.error = "short header";
  } else if (h.magic != HAK_SEG_MAGIC || h.abi_major != HAK_SEG_ABI_MAJOR) {
    seg.error = "bad magic or major version";
  } else if (!read_records(fd, h, HAK_SEG_SEC_SETTINGS, &seg.settings) ||
             !read_records(fd, h, HAK_SEG_SEC_LOCKS, &seg.locks) ||
             !read_records(fd, h, HAK_SEG_SEC_PROCESS, &proc) || proc.size() != 1 ||
             !read_records(fd, h, HAK_SEG_SEC_SLOTS, &slots)) {
    seg.error = "a section is out of bounds";
  } else {
    seg.process = proc[0];
    for (const hak_seg_slot& s : slots) {
      for (unsigned c = 0; c < HAK_NUM_CLASSES; ++c) {
        const hak_seg_class_counters& k = s.classes[c];
        ClassTotals& t = seg.classes[c];
        t.allocs += k.allocs + s.caches[c].allocs;   // the ABI's sums (hak_seg_cache)
        t.frees += k.frees + (s.caches[c].fill >> HAK_SEG_CACHE_FREES_SHIFT);
        t.remote_frees += k.remote_frees;
        for (unsigned p = 0; p < HAK_NUM_PATHS; ++p) {
          t.refills[p] += k.refills[p];
          t.refill_objects[p] += k.refill_objects[p];
        }
      }
    }
  }
  close(fd);
  return seg;
}

inline std::string setting(const Segment& seg, const std::string& name) {
  for (const hak_seg_setting& s : seg.settings) {
    if (name == s.name) return std::string(s.full_value, strnlen(s.full_value, sizeof s.full_value));
  }
  return "<absent>";
}

}  // namespace oracle
