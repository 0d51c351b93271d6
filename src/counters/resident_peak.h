// The footprint at the peak (telemetry_abi.h, process.peak_*): each time resident_bytes rises
// a step above the last record, the resident, mapped and live bytes of that moment are
// recorded, so that an operator (and tests/bench/compare) reads how much memory the
// allocator held for the program's largest working set, not only its current one.
// Invariant: peak_resident_bytes is within one step (1/64, at least 64 KiB) of the highest
// resident_bytes so far. Slow paths only: resident_grow compares against the next threshold
// with one relaxed load; recording sums the slots' counts, which happens about 64 times per
// doubling of the footprint.
#pragma once
#include <atomic>
#include <cstdint>

namespace hakmem {

// resident_bytes at or above which the next record is taken.
extern std::atomic<uint64_t> g_next_peak_record;

// Records the footprint if resident_bytes reached g_next_peak_record and no other thread is
// recording (then that one records a value within the step): never waits.
void record_resident_peak();

// fork child: the parent's peak is not the child's; its own starts at what it inherited.
void resident_peak_after_fork_child();

}  // namespace hakmem
