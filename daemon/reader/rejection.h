// Why a segment (or its file) was not accepted: a stable, machine-readable reason plus a
// message for humans. The reason names are part of the daemon's contract: they become the
// values of hakmemd_segment_rejections_total{reason}; append new ones, never rename.
//
// File level (segment_file.h): the file is not one a reader may trust.
// Content level (segment_reader.h): the bytes are not a complete, known segment.
// The judgement (segment_judge.h) adds its own: proc_unreadable, process_gone, pid_reused.
// Thread-safe: plain values.
#pragma once

#include <string>
#include <string_view>

namespace hakmem::reader {

#define HAKMEM_REJECT_REASONS(X)                                                           \
  /* file level */                                                                         \
  X(kNotFound, "not_found")                 /* no file of that name (process gone?) */     \
  X(kOpenFailed, "open_failed")             /* open/fstat failed other than ENOENT */      \
  X(kSymlink, "symlink")                    /* a symlink: never followed */                \
  X(kNotRegularFile, "not_regular_file")    /* a directory, fifo, device... */             \
  X(kHardLinked, "hard_linked")             /* st_nlink != 1 */                            \
  X(kOwnerMismatch, "owner_mismatch")       /* not owned by whom it must be */             \
  X(kSizeOutOfBounds, "size_out_of_bounds") /* smaller than a header or > HAK_SEG_MAX_SIZE */ \
  /* content level */                                                                      \
  X(kIoError, "io_error")                   /* pread failed */                             \
  X(kTruncated, "truncated")                /* shorter than it says it is */               \
  X(kNotPublished, "not_published")         /* all-zero header: being created */           \
  X(kBadMagic, "bad_magic")                                                                \
  X(kUnknownMajor, "unknown_major")         /* a major ABI version this reader lacks */    \
  X(kBadHeader, "bad_header")               /* header_size, segment_size, num_sections */  \
  X(kSectionOutOfRange, "section_out_of_range") /* a section beyond the segment */         \
  X(kAbsurdCount, "absurd_count")           /* a count or stride beyond the ABI limits */  \
  X(kBadLayout, "bad_layout")               /* fewer records or smaller strides than known */ \
  X(kBadString, "bad_string")               /* comm or a setting not NUL-terminated */     \
  X(kBadPid, "bad_pid")                     /* pid <= 0, or not the pid in the file name */ \
  X(kUnstable, "unstable")                  /* the generation kept changing */

enum class Reason {
#define HAKMEM_REJECT_X_ENUM(id, name) id,
  HAKMEM_REJECT_REASONS(HAKMEM_REJECT_X_ENUM)
#undef HAKMEM_REJECT_X_ENUM
};

inline constexpr int kNumReasons = 0
#define HAKMEM_REJECT_X_COUNT(id, name) +1
    HAKMEM_REJECT_REASONS(HAKMEM_REJECT_X_COUNT)
#undef HAKMEM_REJECT_X_COUNT
    ;

// "bad_magic" for Reason::kBadMagic.
std::string_view reason_name(Reason r);

struct Rejection {
  Reason reason = Reason::kIoError;
  std::string message;  // names what was wrong: the field, the value, the limit

  // "bad_magic: magic is 0x..., expected 0x..."
  std::string to_string() const;
};

}  // namespace hakmem::reader
