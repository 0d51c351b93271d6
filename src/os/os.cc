// Syscall wrappers with their own counters, kept in the telemetry segment's process record.
// They are relaxed atomics touched only on slow paths (a mapping is at least a slab's worth
// of work). The segment file's own calls (segment_file.cc) are not counted: not allocator memory.
#include "os/os.h"

#ifndef _GNU_SOURCE
#define _GNU_SOURCE   // mremap
#endif
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

#include "hakmem/stats_names.h"
#include "counters/segment_storage.h"

namespace hakmem::os {

void count(OsCall call, size_t bytes) {
  seg_add(process_counts().os_calls[call], 1);
  seg_add(process_counts().os_bytes[call], bytes);
}

std::atomic<uint64_t> g_map_failures{0};

uint64_t map_failures() { return g_map_failures.load(std::memory_order_relaxed); }

void* map(size_t bytes) {
  count(kOsMMAP, bytes);
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    g_map_failures.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  seg_add(process_counts().mapped_bytes, bytes);
  return p;
}

void* map_aligned(size_t bytes, size_t align) {
  if (bytes + align < bytes) {
    errno = ENOMEM;
    return nullptr;
  }
  // Over-map by align - page, then cut the unaligned head and the tail off.
  size_t span = bytes + align - 4096;
  char* raw = static_cast<char*>(map(span));
  if (raw == nullptr) return nullptr;
  uintptr_t base = reinterpret_cast<uintptr_t>(raw);
  uintptr_t aligned = (base + align - 1) & ~(uintptr_t{align} - 1);
  size_t head = aligned - base;
  size_t tail = span - head - bytes;
  if (head != 0) unmap(raw, head);
  if (tail != 0) unmap(reinterpret_cast<char*>(aligned) + bytes, tail);
  return reinterpret_cast<void*>(aligned);
}

bool extend_in_place(void* addr, size_t old_bytes, size_t new_bytes) {
  count(kOsMREMAP, new_bytes - old_bytes);
  if (mremap(addr, old_bytes, new_bytes, 0) == MAP_FAILED) return false;
  seg_add(process_counts().mapped_bytes, new_bytes - old_bytes);
  return true;
}

bool move_mapping(void* from, size_t bytes, void* to) {
  count(kOsMREMAP, bytes);
  if (mremap(from, bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED, to) == MAP_FAILED) return false;
  seg_sub(process_counts().mapped_bytes, bytes);   // from's range is gone, `to`'s replaced
  return true;
}

void unmap(void* addr, size_t bytes) {
  count(kOsMUNMAP, bytes);
  if (munmap(addr, bytes) == 0) seg_sub(process_counts().mapped_bytes, bytes);
}

void discard(void* addr, size_t bytes) {
  count(kOsMADVISE, bytes);
  madvise(addr, bytes, MADV_DONTNEED);
}

void advise_huge_pages(void* addr, size_t bytes) {
  count(kOsMADVISE, bytes);
  madvise(addr, bytes, MADV_HUGEPAGE);
}

void write_all(int fd, const char* buf, size_t len) {
  while (len > 0) {
    // The raw system call: write(3) is a cancellation point, and a thread cancelled while
    // HAKMEM prints (malloc_stats, an error line) would leave in the middle of it, as glibc's
    // own malloc_stats never does.
    ssize_t n = syscall(SYS_write, fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    buf += n;
    len -= static_cast<size_t>(n);
  }
}

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

int open_append(const char* path, unsigned mode) {
  return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode);
}

void close_fd(int fd) { close(fd); }

int process_id() { return static_cast<int>(getpid()); }

void abort_process() { abort(); }

void exit_process(int status) { _exit(status); }

OsStats os_stats() {
  OsStats s{};
  for (unsigned i = 0; i < HAK_NUM_OS_CALLS; ++i) {
    s.calls[i] = seg_load(process_counts().os_calls[i]);
    s.bytes[i] = seg_load(process_counts().os_bytes[i]);
  }
  s.mapped_bytes = seg_load(process_counts().mapped_bytes);
  return s;
}

}  // namespace hakmem::os
