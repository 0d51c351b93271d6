// The segment file's side of the kernel contract: the stats directory check, exclusive
// creation with reserved space, mapping a file over an existing range, and the process facts
// a segment records. Like os.h: no allocation, no exceptions; failures return a reason.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hakmem::os {

// Why a step failed: a short phrase and the errno it saw (0 when none applies).
struct FileError {
  const char* what;
  int err;
};

// nullptr-what when dir is fit for segments: a real directory (not a symlink), owned by us or
// root, and not writable by group/others unless sticky (/dev/shm is 1777).
FileError check_stats_dir(const char* dir);
// Creates path O_EXCL|O_NOFOLLOW, mode 0600, `bytes` long with its first reserve_bytes
// reserved (posix_fallocate): writes there never meet a full tmpfs. A file already there that
// we own and that is a plain file (the segment of our previous image after exec, or of a dead
// process whose pid we reuse) is replaced. Returns the fd, or -1 and *e.
int create_segment_file(const char* path, size_t bytes, size_t reserve_bytes, FileError* e);
// Reserves the file pages behind [addr, addr + bytes) of a shared file mapping
// (MADV_POPULATE_WRITE; on private memory it faults the pages in), so that writes there
// cannot meet a full tmpfs (SIGBUS). True when they are reserved; false when there is no
// room, or the kernel (before 5.14) has no such advice.
bool reserve_mapped_pages(void* addr, size_t bytes);
// Maps fd's first `bytes` MAP_SHARED at exactly addr, replacing what was there, after
// copying the current contents of [addr, addr + keep_bytes) into the file's mapping (the
// caller knows the rest is zero: it is not even read).
bool map_file_over(int fd, void* addr, size_t bytes, size_t keep_bytes, FileError* e);
// Replaces [addr, addr + bytes) with a private anonymous mapping holding a copy of its first
// keep_bytes (<= bytes); the rest reads as zeros.
bool make_private_copy(void* addr, size_t bytes, size_t keep_bytes);
// Removes hakmem.<pid> files in dir that belong to this user and whose pid no longer exists
// (left by processes that ended without exiting normally). Bounded: at most `budget` entries
// are examined. Returns how many were removed.
unsigned remove_dead_segments(const char* dir, unsigned budget);
void remove_file(const char* path);

// Field 22 of /proc/self/stat (clock ticks after boot): with the pid, names a process.
uint64_t process_start_ticks();
// /proc/self/comm, NUL-terminated in out[16].
void process_comm(char out[16]);
uint64_t realtime_ns();

}  // namespace hakmem::os
