// The allocator's only door to the kernel. Every syscall HAKMEM makes goes through here, so
// the counts in os_stats() are the complete record of its own mmap/munmap/madvise traffic
// (what the daemon's eBPF probes are held against). None of these allocate or throw.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace hakmem::os {

// Anonymous private read-write mapping; nullptr on failure (errno from the kernel).
void* map(size_t bytes);
// A mapping of `bytes` whose start is aligned to `align` (a power of two >= page size),
// trimming the slack; nullptr on failure.
void* map_aligned(size_t bytes, size_t align);
void unmap(void* addr, size_t bytes);
// Extends a mapping from old_bytes to new_bytes without moving it (mremap, no MREMAP_MAYMOVE);
// false when the pages after it are taken. Counted as an mmap of the added bytes.
bool extend_in_place(void* addr, size_t old_bytes, size_t new_bytes);
// MADV_DONTNEED: the pages read back as zero and stop counting towards RSS.
void discard(void* addr, size_t bytes);

// write(2) all of buf, retrying on EINTR; async-signal-safe.
void write_all(int fd, const char* buf, size_t len);
// Monotonic clock in nanoseconds (vDSO, no syscall on x86-64).
uint64_t now_ns();
int current_tid();

// A joinable thread for the allocator's own work, named `name` (at most 15 characters; what
// ps -L and /proc/PID/task/TID/comm show), with every signal blocked (a signal meant for the
// program is never delivered to it) and a small stack. False if it cannot be made.
bool start_thread(unsigned long* thread, void* (*run)(void*), size_t stack_bytes, const char* name);
void join_thread(unsigned long thread);

// Futexes on process-private words. wait returns when *word != expected, on a wake, on a
// signal, or after timeout_ns (0: no timeout); the caller re-checks its condition.
void futex_wait(std::atomic<uint32_t>* word, uint32_t expected, uint64_t timeout_ns = 0);
void futex_wake(std::atomic<uint32_t>* word, int waiters);

struct OsStats {
  uint64_t calls[3];   // indexed by the HAK_OS_CALLS order
  uint64_t bytes[3];
  uint64_t mapped_bytes;
};
OsStats os_stats();

}  // namespace hakmem::os
