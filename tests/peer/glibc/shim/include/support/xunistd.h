/* The system-call wrappers of glibc's support/xunistd.h that malloc/tst-*.c use (HAKMEM's
   peer-test shim): each ends the test with a message naming the call when it fails. */
#ifndef HAKMEM_PEER_SUPPORT_XUNISTD_H
#define HAKMEM_PEER_SUPPORT_XUNISTD_H

#include <sys/types.h>
#include <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

pid_t xfork (void);
pid_t xwaitpid (pid_t pid, int *status, int flags);
void xpipe (int fds[2]);
void xclose (int fd);
void xwrite (int fd, const void *buf, size_t n);
int xopen (const char *path, int flags, mode_t mode);
void *xmmap (void *addr, size_t length, int prot, int flags, int fd);
void xmunmap (void *addr, size_t length);
long xsysconf (int name);

#ifdef __cplusplus
}
#endif

#endif
