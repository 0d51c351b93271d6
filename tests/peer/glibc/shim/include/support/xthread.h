/* The pthread wrappers of glibc's support/xthread.h that malloc/tst-*.c use (HAKMEM's
   peer-test shim): each ends the test with a message naming the call when it fails. */
#ifndef HAKMEM_PEER_SUPPORT_XTHREAD_H
#define HAKMEM_PEER_SUPPORT_XTHREAD_H

#include <pthread.h>

#ifdef __cplusplus
extern "C" {
#endif

void xpthread_check_return (const char *function, int value);
pthread_t xpthread_create (pthread_attr_t *attr, void *(*fn) (void *), void *arg);
void *xpthread_join (pthread_t thr);
void xpthread_detach (pthread_t thr);
void xpthread_cancel (pthread_t thr);
void xpthread_kill (pthread_t thr, int signo);
void xpthread_barrier_init (pthread_barrier_t *b, pthread_barrierattr_t *attr, unsigned count);
void xpthread_barrier_destroy (pthread_barrier_t *b);
int xpthread_barrier_wait (pthread_barrier_t *b);
void xpthread_barrierattr_init (pthread_barrierattr_t *a);
void xpthread_barrierattr_destroy (pthread_barrierattr_t *a);
void xpthread_barrierattr_setpshared (pthread_barrierattr_t *a, int pshared);
void xpthread_mutex_lock (pthread_mutex_t *m);
void xpthread_mutex_unlock (pthread_mutex_t *m);
void xpthread_attr_init (pthread_attr_t *a);
void xpthread_attr_destroy (pthread_attr_t *a);
void xpthread_attr_setstacksize (pthread_attr_t *a, size_t size);
void xpthread_attr_setdetachstate (pthread_attr_t *a, int state);

#ifdef __cplusplus
}
#endif

#endif
