/* Is a directory fit to hold telemetry segments? One verdict for both sides: the allocator,
 * which creates its segment there (os::check_stats_dir, in src/os/), and hakmemd,
 * which reads and removes segments there (daemon/hakmemd/segment_dir.cc). After hsperfdata's
 * failures (DESIGN.md): a real directory, not a symlink, owned by the user or by root, and not
 * writable by group or others unless sticky (/dev/shm is 1777: sticky).
 *
 * Pure: it judges a struct stat the caller already has (lstat of the path, or fstat of a
 * directory opened O_NOFOLLOW) and the caller's effective uid. No syscalls, no allocation, no
 * output, so the allocator may call it before malloc works, and neither side links the other.
 * C and C++; S_ISVTX is an XSI name of <sys/stat.h>: glibc's default, _XOPEN_SOURCE 700 in a
 * strict C mode. */
#ifndef HAKMEM_STATS_DIR_H
#define HAKMEM_STATS_DIR_H

#include <sys/stat.h>
#include <sys/types.h>

/* What is wrong with a directory, the first check that fails, in this order. */
enum hak_stats_dir_fault {
  HAK_STATS_DIR_OK = 0,
  HAK_STATS_DIR_SYMLINK,        /* the path names a symlink (lstat) */
  HAK_STATS_DIR_NOT_DIRECTORY,
  HAK_STATS_DIR_FOREIGN_OWNER,  /* owned by neither euid nor root */
  HAK_STATS_DIR_OPEN_TO_OTHERS  /* writable by group or others, and not sticky */
};

static inline enum hak_stats_dir_fault hak_stats_dir_judge(const struct stat* st, uid_t euid) {
  if (S_ISLNK(st->st_mode)) return HAK_STATS_DIR_SYMLINK;
  if (!S_ISDIR(st->st_mode)) return HAK_STATS_DIR_NOT_DIRECTORY;
  if (st->st_uid != euid && st->st_uid != 0) return HAK_STATS_DIR_FOREIGN_OWNER;
  if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0 && (st->st_mode & S_ISVTX) == 0)
    return HAK_STATS_DIR_OPEN_TO_OTHERS;
  return HAK_STATS_DIR_OK;
}

/* The allocator's words for a fault, as its "hakmem: telemetry off: <dir>: <text>" line
 * prints them; a null pointer for HAK_STATS_DIR_OK. hakmemd words its own (with the uid). */
static inline const char* hak_stats_dir_fault_text(enum hak_stats_dir_fault f) {
  switch (f) {
    case HAK_STATS_DIR_OK: break;
    case HAK_STATS_DIR_SYMLINK: return "the stats directory is a symlink";
    case HAK_STATS_DIR_NOT_DIRECTORY: return "the stats directory is not a directory";
    case HAK_STATS_DIR_FOREIGN_OWNER: return "the stats directory belongs to another user";
    case HAK_STATS_DIR_OPEN_TO_OTHERS:
      return "the stats directory is writable by others and not sticky";
  }
  return 0;
}

/* A null pointer when the directory is fit, else why not (hak_stats_dir_fault_text). */
static inline const char* hak_stats_dir_unfit(const struct stat* st, uid_t euid) {
  return hak_stats_dir_fault_text(hak_stats_dir_judge(st, euid));
}

#endif
