// Reads a telemetry segment into a Snapshot, treating it as untrusted input: another process
// writes it and may truncate it or scribble on it at any moment.
//
// Only bounds-checked reads (pread on a file, or copies out of a buffer for tests and the
// fuzzer): never a dereference of a mapping. Checks, in order: size, magic, major version,
// header_size and segment_size against the file size and HAK_SEG_MAX_SIZE, pid and comm, the
// header's array lengths (num_*), then every section's offset, count and stride. A newer minor
// version reads fine: larger strides, more records and longer arrays (num_* above what this
// reader knows) are allowed, and only the known fields are taken; fewer or smaller than known
// is bad_layout. Nested arrays are located with the header's num_* values (see
// record_layout(), segment_layout.h). Slots are read twice: frees from the first read,
// allocations from the second, so a free never shows without its allocation (the ABI's
// hak_seg_cache). Consistency: the header's generation is read before and after;
// odd or changed means a writer was at work, so the read starts over, at most
// ReadOptions::max_attempts times, then `unstable`.
// Thread-safe: no shared state.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>

#include "reader/rejection.h"
#include "reader/snapshot.h"

namespace hakmem::reader {

struct ReadOptions {
  int expected_pid = 0;   // > 0: the header's pid must be this one (the pid of the file name)
  int max_attempts = 16;  // reads while the generation moves before giving up (unstable)
};

struct ReadResult {
  Snapshot snapshot;                 // valid when ok()
  std::optional<Rejection> error;    // set when rejected
  int attempts = 0;                  // reads made (1 unless the generation moved)
  bool ok() const { return !error.has_value(); }
};

// The segment in an open file (regular; checked by segment_file.h). Only pread and fstat.
ReadResult read_segment_fd(int fd, const ReadOptions& options = {});
// The same checks over a copy in memory (unit tests, the fuzzer).
ReadResult read_segment_bytes(const void* data, std::size_t size, const ReadOptions& options = {});

}  // namespace hakmem::reader
