/* The part of glibc's support/support.h that malloc/tst-*.c use (HAKMEM's peer-test shim):
   allocation wrappers that end the test on failure, and memory shared across fork. */
#ifndef HAKMEM_PEER_SUPPORT_SUPPORT_H
#define HAKMEM_PEER_SUPPORT_SUPPORT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void *xmalloc (size_t n);
void *xcalloc (size_t n, size_t s);
void *xrealloc (void *p, size_t n);
void *xposix_memalign (size_t alignment, size_t n);
char *xstrdup (const char *s);
char *xstrndup (const char *s, size_t n);
char *xasprintf (const char *format, ...) __attribute__ ((format (printf, 1, 2)));
void write_message (const char *message);
/* Sends stderr to /dev/null: for tests whose expected crash prints there. */
void ignore_stderr (void);
void oom_error (const char *function, size_t size);

/* Zeroed memory visible to processes forked after the call (MAP_SHARED | MAP_ANONYMOUS). */
void *support_shared_allocate (size_t size);
void support_shared_free (void *p);

#ifdef __cplusplus
}
#endif

#endif
