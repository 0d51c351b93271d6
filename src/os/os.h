// The allocator's door to the kernel, with threads.h, signals.h, thread_id.h and
// segment_file.h beside it: every syscall HAKMEM makes goes through src/os/ (checked by
// tests/arch/check_syscalls.py), so the counts in os_stats() are the complete record of its
// own mmap/munmap/madvise/mremap traffic (what the daemon's eBPF probes are held against).
// None of these allocate or throw.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "hakmem/stats_names.h"

namespace hakmem::os {

// The counted calls, in the HAK_OS_CALLS order (the segment's os_calls[] and os_bytes[]).
enum OsCall : unsigned {
#define HAK_X_ENUM(id, name) kOs##id,
  HAK_OS_CALLS(HAK_X_ENUM)
#undef HAK_X_ENUM
};
// One call of `call` with `bytes`, counted before the call is made (failed calls count too,
// as the kernel counts them). Only src/os/ calls it, next to each syscall.
void count(OsCall call, size_t bytes);

// Anonymous private read-write mapping; nullptr on failure (errno from the kernel).
void* map(size_t bytes);
// How many map() calls the kernel refused so far: a caller compares two readings to tell an
// allocation the OS refused from one rejected before any mapping (too big to ever fit).
uint64_t map_failures();
// A mapping of `bytes` whose start is aligned to `align` (a power of two >= page size),
// trimming the slack; nullptr on failure.
void* map_aligned(size_t bytes, size_t align);
void unmap(void* addr, size_t bytes);
// Extends a mapping from old_bytes to new_bytes without moving it (mremap, no MREMAP_MAYMOVE);
// false when the pages after it are taken. Counted as an mremap of the added bytes.
bool extend_in_place(void* addr, size_t old_bytes, size_t new_bytes);
// Moves the pages of [from, from + bytes) to `to` (mremap MREMAP_MAYMOVE | MREMAP_FIXED),
// replacing what was mapped there, without copying or faulting them: page tables move. `to`
// must not overlap `from`; false (nothing moved) when the kernel refuses. Counted as an mremap
// of the moved bytes.
bool move_mapping(void* from, size_t bytes, void* to);
// MADV_DONTNEED: the pages read back as zero and stop counting towards RSS.
void discard(void* addr, size_t bytes);
// MADV_HUGEPAGE: transparent huge pages for the range where the kernel allows them (its
// `madvise` mode); a kernel without THP refuses, which changes nothing.
void advise_huge_pages(void* addr, size_t bytes);

// write(2) all of buf, retrying on EINTR; async-signal-safe, and not a cancellation point.
void write_all(int fd, const char* buf, size_t len);
// Monotonic clock in nanoseconds (vDSO, no syscall on x86-64).
uint64_t now_ns();
// open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode): a descriptor, or -1.
int open_append(const char* path, unsigned mode);
void close_fd(int fd);
int process_id();
// abort(): the documented error lines end the process with SIGABRT (a core dump, and the
// program's own SIGABRT handler runs first).
[[noreturn]] void abort_process();
// _exit(status): no atexit handlers, no stdio flush (start-up may run inside the first malloc,
// before the program's constructors).
[[noreturn]] void exit_process(int status);

struct OsStats {
  uint64_t calls[HAK_NUM_OS_CALLS];  // indexed by OsCall
  uint64_t bytes[HAK_NUM_OS_CALLS];
  uint64_t mapped_bytes;
};
OsStats os_stats();

}  // namespace hakmem::os
