// Segment file syscalls (see segment_file.h). The mapping swap uses mremap(MREMAP_FIXED):
// it replaces the target range atomically, so no instant exists where g_segment is unmapped.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   // mremap
#endif
#include "os/segment_file.h"

#include "hakmem/stats_dir.h"
#include "hakmem/telemetry_abi.h"
#include "os/os.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hakmem::os {
namespace {

FileError fail(const char* what) { return FileError{what, errno}; }

// The file at path if it is ours to replace: a plain file of this user, one link.
bool replaceable(const char* path) {
  struct stat st;
  if (lstat(path, &st) != 0) return false;
  return S_ISREG(st.st_mode) && st.st_uid == geteuid() && st.st_nlink == 1;
}

// The file reads as zeros already: copying only pages that hold data keeps the rest of the
// segment (mostly unused slots) out of the process's RSS, ~350 KiB per process.
bool all_zero(const unsigned char* p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    memcpy(&word, p + i, 8);
    if (word != 0) return false;
  }
  for (; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

void copy_nonzero_pages(void* to, const void* from, size_t bytes) {
  constexpr size_t kPage = 4096;
  for (size_t off = 0; off < bytes; off += kPage) {
    size_t n = bytes - off < kPage ? bytes - off : kPage;   // the last page may be partial
    const auto* src = static_cast<const unsigned char*>(from) + off;
    if (!all_zero(src, n)) memcpy(static_cast<char*>(to) + off, src, n);
  }
}

}  // namespace

FileError check_stats_dir(const char* dir) {
  struct stat st;
  if (lstat(dir, &st) != 0) return fail("cannot stat the stats directory");
  return FileError{hak_stats_dir_unfit(&st, geteuid()), 0};
}

int create_segment_file(const char* path, size_t bytes, size_t reserve_bytes, FileError* e) {
  constexpr int kFlags = O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = open(path, kFlags, 0600);
  if (fd < 0 && errno == EEXIST && replaceable(path)) {
    unlink(path);
    fd = open(path, kFlags, 0600);
  }
  if (fd < 0) {
    *e = fail(errno == EEXIST ? "a file of that name exists and is not ours to replace"
                              : "cannot create the segment");
    return -1;
  }
  int rc = ftruncate(fd, static_cast<off_t>(bytes)) == 0 ? 0 : errno;
  if (rc == 0) rc = posix_fallocate(fd, 0, static_cast<off_t>(reserve_bytes));
  if (rc != 0) {
    *e = FileError{"cannot reserve the segment's space", rc};
    close(fd);
    unlink(path);
    return -1;
  }
  return fd;
}

bool reserve_mapped_pages(void* addr, size_t bytes) {
#ifndef MADV_POPULATE_WRITE
  constexpr int MADV_POPULATE_WRITE = 23;   // Linux 5.14; older headers lack the name
#endif
  count(kOsMADVISE, bytes);
  return madvise(addr, bytes, MADV_POPULATE_WRITE) == 0;
}

// The segment's own calls are counted like every other (the counters live in the segment:
// each is counted before the copy, so the count moves into the new mapping with the rest).
// The move into place is an mremap of 0 added bytes; it unmaps the range it replaces itself.
bool map_file_over(int fd, void* addr, size_t bytes, size_t keep_bytes, FileError* e) {
  count(kOsMMAP, bytes);
  void* fresh = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (fresh == MAP_FAILED) {
    *e = fail("cannot map the segment");
    return false;
  }
  count(kOsMREMAP, 0);
  copy_nonzero_pages(fresh, addr, keep_bytes);
  if (mremap(fresh, bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED, addr) == MAP_FAILED) {
    *e = fail("cannot move the segment mapping into place");
    count(kOsMUNMAP, bytes);
    munmap(fresh, bytes);
    return false;
  }
  return true;
}

bool make_private_copy(void* addr, size_t bytes, size_t keep_bytes) {
  count(kOsMMAP, bytes);
  void* fresh = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (fresh == MAP_FAILED) return false;
  count(kOsMREMAP, 0);
  copy_nonzero_pages(fresh, addr, keep_bytes);
  if (mremap(fresh, bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED, addr) == MAP_FAILED) {
    count(kOsMUNMAP, bytes);
    munmap(fresh, bytes);
    return false;
  }
  return true;
}

unsigned remove_dead_segments(const char* dir, unsigned budget) {
  // getdents64 into a stack buffer: opendir would call malloc, which is us.
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) return 0;
  constexpr size_t kPrefixLen = sizeof(HAK_SEG_FILE_PREFIX) - 1;
  alignas(8) char buf[4096];
  unsigned removed = 0;
  long n;
  while (budget > 0 && (n = syscall(SYS_getdents64, dfd, buf, sizeof buf)) > 0) {
    for (long off = 0; off < n && budget > 0; --budget) {
      auto* d = reinterpret_cast<struct dirent64*>(buf + off);
      off += d->d_reclen;
      if (strncmp(d->d_name, HAK_SEG_FILE_PREFIX, kPrefixLen) != 0) continue;
      long pid = 0;
      const char* c = d->d_name + kPrefixLen;
      for (; *c >= '0' && *c <= '9' && pid < (1L << 30); ++c) pid = pid * 10 + (*c - '0');
      if (*c != '\0' || pid <= 0) continue;
      if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
      struct stat st;
      if (fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_nlink != 1) continue;
      if (unlinkat(dfd, d->d_name, 0) == 0) ++removed;
    }
  }
  close(dfd);
  return removed;
}

void remove_file(const char* path) { unlink(path); }

uint64_t process_start_ticks() {
  char buf[1024];
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  // comm may hold spaces and parentheses: fields are counted after the last ')'.
  const char* p = strrchr(buf, ')');
  if (p == nullptr) return 0;
  int field = 2;
  for (++p; *p != '\0' && field < 22; ++p) {
    if (*p == ' ') ++field;
  }
  uint64_t v = 0;
  for (; *p >= '0' && *p <= '9'; ++p) v = v * 10 + static_cast<uint64_t>(*p - '0');
  return v;
}

void process_comm(char out[16]) {
  memset(out, 0, 16);
  int fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, out, 15);
  close(fd);
  if (n <= 0) return;
  out[n] = '\0';
  if (out[n - 1] == '\n') out[n - 1] = '\0';
}

uint64_t realtime_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace hakmem::os
