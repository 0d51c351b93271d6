// libFuzzer target of the segment reader (daemon/reader): any bytes are a segment someone
// may have written. Oracles besides the sanitizers: a rejection always names a known reason
// and says why; reading the same bytes through a file (pread, as the tools do) gives the same
// verdict and the same values as reading them from memory; an accepted reading satisfies the
// snapshot's invariants (hit rates in [0, 100], summing to 100 when anything was refilled;
// cache capacities only from minor 5 on, within what the live slots' uint32 caps can sum to).
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "reader/names.h"
#include "reader/segment_reader.h"

namespace {

using hakmem::reader::ReadResult;

void require(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "reader_fuzz: %s\n", what);
    abort();
  }
}

void check_result(const ReadResult& r) {
  if (!r.ok()) {
    require(hakmem::reader::reason_name(r.error->reason) != "unknown", "unnamed reason");
    require(!r.error->message.empty(), "rejection without a message");
    return;
  }
  const auto& s = r.snapshot;
  require(s.pid > 0, "accepted a pid <= 0");
  require(s.classes.size() == hakmem::reader::kNumClasses, "class count");
  // A segment of minor 1 to 5 has no heap lock (segment_checks.cc): a length between them.
  require(s.locks.size() >= HAK_SEG_LOCKS_MINOR5 && s.locks.size() <= hakmem::reader::kNumLocks,
          "lock count");
  for (const auto& c : s.classes) {
    // Hostile counters may wrap their sums, so only the bounds of each share are checkable.
    for (std::size_t p = 0; p < hakmem::reader::kNumPaths; ++p) {
      double h = c.hit_rate_percent(p);
      require(h >= 0.0 && h <= 100.0 + 1e-9, "hit rate out of [0, 100]");
      require(c.objects_per_refill(p) >= 0.0, "negative objects per refill");
    }
    (void)c.live_bytes();
    // A sum of uint32 caps over the live slots, whatever they hold: never wrapped.
    require(c.cache_capacity <= uint64_t{s.live_slots} * UINT32_MAX, "cache capacity beyond its slots' caps");
    require(s.has_cache_stats || c.cache_capacity == 0, "a capacity from a segment without readable caps");
    (void)c.cache_capacity_bytes();
  }
  require(s.has_cache_stats == (s.abi_minor >= HAK_SEG_CACHES_GROW_MINOR), "cache stats against the minor");
  require(s.has_peak == (s.abi_minor >= HAK_SEG_PEAK_MINOR), "the peak against the minor");
  require(s.has_peak || (s.process.peak_resident_bytes == 0 && s.process.peak_live_bytes == 0),
          "a peak from a segment without one");
}

// The same bytes through a file descriptor: same verdict, same values.
void check_fd_agrees(const uint8_t* data, size_t size, const hakmem::reader::ReadOptions& options,
                     const ReadResult& mem) {
  int fd = memfd_create("reader_fuzz", MFD_CLOEXEC);
  if (fd < 0) return;
  if (size == 0 || write(fd, data, size) == static_cast<ssize_t>(size)) {
    ReadResult file = hakmem::reader::read_segment_fd(fd, options);
    require(file.ok() == mem.ok(), "fd and memory readings disagree on the verdict");
    if (!mem.ok()) {
      require(file.error->reason == mem.error->reason, "fd and memory readings disagree on the reason");
    } else {
      const auto& a = file.snapshot;
      const auto& b = mem.snapshot;
      require(a.pid == b.pid && a.comm == b.comm && a.settings.size() == b.settings.size() &&
                  a.slots == b.slots && a.live_slots == b.live_slots &&
                  std::memcmp(&a.process, &b.process, sizeof a.process) == 0,
              "fd and memory readings disagree on the values");
      for (std::size_t c = 0; c < a.classes.size(); ++c)
        require(std::memcmp(&a.classes[c].counters, &b.classes[c].counters, sizeof a.classes[c].counters) == 0 &&
                    a.classes[c].cache_capacity == b.classes[c].cache_capacity,
                "fd and memory readings disagree on a class");
    }
  }
  close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hakmem::reader::ReadOptions options;
  options.max_attempts = 2;  // an odd generation must not keep the fuzzer sleeping
  ReadResult r = hakmem::reader::read_segment_bytes(data, size, options);
  check_result(r);
  // Through a file for one input in four: a syscall-bound path, kept cheap.
  if (size % 4 == 0) check_fd_agrees(data, size, options, r);
  return 0;
}
