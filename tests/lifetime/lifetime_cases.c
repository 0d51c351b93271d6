/* Programs whose end must not change under HAKMEM (DESIGN.md, Lifetime): each mode prints what
 * it did with write(2) (no stdio buffers to duplicate across fork) and ends the way the mode
 * names. run_lifetime.sh runs every mode on glibc and under LD_PRELOAD=libhakmem.so and wants
 * the same output and exit status from both, within a timeout.
 *   pthread_exit      the program: allocates and frees enough to empty SuperSlabs,
 *                     then main calls pthread_exit; the process must exit 0, running its
 *                     atexit handler and main's thread-specific destructor once
 *   fork_child        a multi-threaded parent (a helper may run there) forks; the child does
 *                     the same and calls pthread_exit from its only thread
 *   fork_from_thread  a second thread forks; in the child that thread allocates, frees and
 *                     returns from its start routine, which ends the child
 *   unshare           single-threaded, frees enough to reach every release path (empty
 *                     SuperSlabs, free arena runs, a cached large span), then
 *                     unshare(CLONE_NEWUSER), which the kernel refuses a multi-threaded caller
 *   joined_workers    workers allocate and free (a helper may run while they live), main
 *                     joins them and calls pthread_exit */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { N = 200000 };
static pthread_key_t g_key;

static void say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char* fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (write(STDOUT_FILENO, buf, (size_t)n) != n) abort();
}

static void churn_small(void) {
  void** blocks = malloc(N * sizeof(void*));
  if (blocks == NULL) abort();
  for (int r = 0; r < 3; r++) {
    for (int i = 0; i < N; i++) {
      blocks[i] = malloc(64);
      if (blocks[i] == NULL) abort();
      memset(blocks[i], r, 64);
    }
    for (int i = 0; i < N; i++) free(blocks[i]);
  }
  free(blocks);
}

static void churn_large(void) {
  static const size_t sizes[] = {300 << 10, 2 << 20, 6 << 20, 24 << 20};
  for (int r = 0; r < 4; r++) {
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
      char* p = malloc(sizes[i]);
      if (p == NULL) abort();
      memset(p, r, sizes[i]);
      free(p);
    }
  }
}

static void at_exit(void) { say("atexit handler ran in pid-role %s\n", getenv("LIFETIME_ROLE")); }
static void key_destructor(void* v) { say("thread-specific destructor ran (%s)\n", (char*)v); }

// The atexit handler names the process it runs in, so a handler run twice, or in the wrong
// process, shows in the output.
static void set_role(const char* role) { setenv("LIFETIME_ROLE", role, 1); }

static void end_with_pthread_exit(const char* who) {
  pthread_setspecific(g_key, (void*)who);
  say("%s: pthread_exit\n", who);
  pthread_exit(NULL);
}

static int wait_child(pid_t pid) {
  int status;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static volatile int g_release_worker;

static void* idle_worker(void* arg) {
  (void)arg;
  churn_small();
  churn_large();
  while (!g_release_worker) usleep(1000);
  return NULL;
}

// Forks; the child names its role and reaches every release path before it returns 0. The
// parent gets the child's pid.
static pid_t fork_and_churn(void) {
  pid_t pid = fork();
  if (pid < 0) abort();
  if (pid == 0) {
    set_role("child");
    churn_small();
    churn_large();
  }
  return pid;
}

static void* forking_thread(void* arg) {
  (void)arg;
  churn_small();
  pid_t pid = fork_and_churn();
  if (pid == 0) {
    say("child thread: returns\n");
    return NULL;   // the child's only thread ends: the child exits 0
  }
  say("parent thread: child exited %d\n", wait_child(pid));
  return NULL;
}

static void* churn_worker(void* arg) {
  (void)arg;
  for (int i = 0; i < 20; i++) {
    void* v[1000];
    for (int j = 0; j < 1000; j++) v[j] = malloc(16 + (size_t)(j * 37) % 4000);
    for (int j = 0; j < 1000; j++) free(v[j]);
  }
  churn_large();
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s pthread_exit|fork_child|fork_from_thread|unshare|joined_workers\n",
            argv[0]);
    return 2;
  }
  const char* mode = argv[1];
  set_role("parent");
  pthread_key_create(&g_key, key_destructor);
  atexit(at_exit);
  if (strcmp(mode, "pthread_exit") == 0) {
    churn_small();
    end_with_pthread_exit("main");
  }
  if (strcmp(mode, "fork_child") == 0) {
    pthread_t t;
    if (pthread_create(&t, NULL, idle_worker, NULL) != 0) abort();
    churn_small();
    usleep(100 * 1000);   // the worker's frees are done, and a helper could start
    pid_t pid = fork_and_churn();
    if (pid == 0) end_with_pthread_exit("child main");
    say("parent: child exited %d\n", wait_child(pid));
    g_release_worker = 1;
    pthread_join(t, NULL);
    return 0;
  }
  if (strcmp(mode, "fork_from_thread") == 0) {
    pthread_t t;
    if (pthread_create(&t, NULL, forking_thread, NULL) != 0) abort();
    pthread_join(t, NULL);
    say("parent main: joined\n");
    return 0;
  }
  if (strcmp(mode, "unshare") == 0) {
    churn_small();
    churn_large();
    int rc = unshare(CLONE_NEWUSER);
    say("unshare(CLONE_NEWUSER): %s\n", rc == 0 ? "ok" : strerror(errno));
    return 0;
  }
  if (strcmp(mode, "joined_workers") == 0) {
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
      if (pthread_create(&t[i], NULL, churn_worker, NULL) != 0) abort();
    churn_small();
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    say("main: workers joined\n");
    end_with_pthread_exit("main");
  }
  fprintf(stderr, "%s: unknown mode %s\n", argv[0], mode);
  return 2;
}
