/* glibc's support/xsignal.h as malloc/tst-*.c use it (HAKMEM's peer-test shim). */
#ifndef HAKMEM_PEER_SUPPORT_XSIGNAL_H
#define HAKMEM_PEER_SUPPORT_XSIGNAL_H

#include <signal.h>

#ifdef __cplusplus
extern "C" {
#endif

sighandler_t xsignal (int sig, sighandler_t handler);
void xraise (int sig);
void xsigaction (int sig, const struct sigaction *act, struct sigaction *old);

#ifdef __cplusplus
}
#endif

#endif
