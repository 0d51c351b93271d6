/* glibc's include/libc-diag.h for HAKMEM's peer-test shim: the tests silence warnings around
   deliberately odd calls (malloc (SIZE_MAX), unused results) with these. */
#ifndef HAKMEM_PEER_LIBC_DIAG_H
#define HAKMEM_PEER_LIBC_DIAG_H

#define DIAG_PUSH_NEEDS_COMMENT _Pragma ("GCC diagnostic push")
#define DIAG_POP_NEEDS_COMMENT _Pragma ("GCC diagnostic pop")
#define DIAG_PRAGMA_(x) _Pragma (#x)
#define DIAG_IGNORE_NEEDS_COMMENT(version, option) \
  DIAG_PRAGMA_ (GCC diagnostic ignored option)
#define DIAG_IGNORE_Os_NEEDS_COMMENT(version, option) DIAG_IGNORE_NEEDS_COMMENT (version, option)

#endif
