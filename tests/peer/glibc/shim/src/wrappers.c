/* The x* wrappers of HAKMEM's peer-test shim (support/support.h, xthread.h, xunistd.h,
   xsignal.h, temp_file.h): each does one call and ends the test with status 1 and a message
   naming the call when it fails, as glibc's do. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <support/check.h>
#include <support/support.h>
#include <support/temp_file.h>
#include <support/xsignal.h>
#include <support/xthread.h>
#include <support/xunistd.h>

void
oom_error (const char *function, size_t size)
{
  printf ("%s: unable to allocate %zu bytes: %m\n", function, size);
  exit (1);
}

void *
xmalloc (size_t n)
{
  void *p = malloc (n);
  if (p == NULL)
    oom_error ("malloc", n);
  return p;
}

void *
xcalloc (size_t n, size_t s)
{
  void *p = calloc (n, s);
  if (p == NULL)
    oom_error ("calloc", n * s);
  return p;
}

void *
xrealloc (void *o, size_t n)
{
  void *p = realloc (o, n);
  if (p == NULL && n != 0)
    oom_error ("realloc", n);
  return p;
}

void *
xposix_memalign (size_t alignment, size_t n)
{
  void *p = NULL;
  int e = posix_memalign (&p, alignment, n);
  if (e != 0)
    {
      errno = e;
      oom_error ("posix_memalign", n);
    }
  return p;
}

char *
xstrdup (const char *s)
{
  char *p = strdup (s);
  if (p == NULL)
    oom_error ("strdup", strlen (s));
  return p;
}

char *
xstrndup (const char *s, size_t n)
{
  char *p = strndup (s, n);
  if (p == NULL)
    oom_error ("strndup", n);
  return p;
}

char *
xasprintf (const char *format, ...)
{
  va_list ap;
  char *p;
  va_start (ap, format);
  int r = vasprintf (&p, format, ap);
  va_end (ap);
  if (r < 0)
    FAIL_EXIT1 ("vasprintf: %m");
  return p;
}

void
write_message (const char *message)
{
  ssize_t unused = write (STDOUT_FILENO, message, strlen (message));
  (void) unused;
}

void
ignore_stderr (void)
{
  int fd = open ("/dev/null", O_WRONLY);
  if (fd < 0)
    FAIL_EXIT1 ("open (\"/dev/null\"): %m");
  dup2 (fd, STDERR_FILENO);
  close (fd);
}

void *
support_shared_allocate (size_t size)
{
  void *p = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    FAIL_EXIT1 ("mmap of %zu shared bytes: %m", size);
  return p;
}

void
support_shared_free (void *p)
{
  /* The size is not kept; the mapping lives until exit, which is what the tests need. */
  (void) p;
}

void
xpthread_check_return (const char *function, int value)
{
  if (value != 0)
    {
      errno = value;
      FAIL_EXIT1 ("%s: %m", function);
    }
}

pthread_t
xpthread_create (pthread_attr_t *attr, void *(*fn) (void *), void *arg)
{
  pthread_t t;
  xpthread_check_return ("pthread_create", pthread_create (&t, attr, fn, arg));
  return t;
}

void *
xpthread_join (pthread_t thr)
{
  void *r;
  xpthread_check_return ("pthread_join", pthread_join (thr, &r));
  return r;
}

void
xpthread_detach (pthread_t thr)
{
  xpthread_check_return ("pthread_detach", pthread_detach (thr));
}

void
xpthread_cancel (pthread_t thr)
{
  xpthread_check_return ("pthread_cancel", pthread_cancel (thr));
}

void
xpthread_kill (pthread_t thr, int signo)
{
  xpthread_check_return ("pthread_kill", pthread_kill (thr, signo));
}

void
xpthread_barrier_init (pthread_barrier_t *b, pthread_barrierattr_t *attr, unsigned count)
{
  xpthread_check_return ("pthread_barrier_init", pthread_barrier_init (b, attr, count));
}

void
xpthread_barrier_destroy (pthread_barrier_t *b)
{
  xpthread_check_return ("pthread_barrier_destroy", pthread_barrier_destroy (b));
}

int
xpthread_barrier_wait (pthread_barrier_t *b)
{
  int r = pthread_barrier_wait (b);
  if (r != 0 && r != PTHREAD_BARRIER_SERIAL_THREAD)
    xpthread_check_return ("pthread_barrier_wait", r);
  return r == PTHREAD_BARRIER_SERIAL_THREAD;
}

void
xpthread_barrierattr_init (pthread_barrierattr_t *a)
{
  xpthread_check_return ("pthread_barrierattr_init", pthread_barrierattr_init (a));
}

void
xpthread_barrierattr_destroy (pthread_barrierattr_t *a)
{
  xpthread_check_return ("pthread_barrierattr_destroy", pthread_barrierattr_destroy (a));
}

void
xpthread_barrierattr_setpshared (pthread_barrierattr_t *a, int pshared)
{
  xpthread_check_return ("pthread_barrierattr_setpshared",
                         pthread_barrierattr_setpshared (a, pshared));
}

void
xpthread_mutex_lock (pthread_mutex_t *m)
{
  xpthread_check_return ("pthread_mutex_lock", pthread_mutex_lock (m));
}

void
xpthread_mutex_unlock (pthread_mutex_t *m)
{
  xpthread_check_return ("pthread_mutex_unlock", pthread_mutex_unlock (m));
}

void
xpthread_attr_init (pthread_attr_t *a)
{
  xpthread_check_return ("pthread_attr_init", pthread_attr_init (a));
}

void
xpthread_attr_destroy (pthread_attr_t *a)
{
  xpthread_check_return ("pthread_attr_destroy", pthread_attr_destroy (a));
}

void
xpthread_attr_setstacksize (pthread_attr_t *a, size_t size)
{
  xpthread_check_return ("pthread_attr_setstacksize", pthread_attr_setstacksize (a, size));
}

void
xpthread_attr_setdetachstate (pthread_attr_t *a, int state)
{
  xpthread_check_return ("pthread_attr_setdetachstate",
                         pthread_attr_setdetachstate (a, state));
}

pid_t
xfork (void)
{
  pid_t p = fork ();
  if (p < 0)
    FAIL_EXIT1 ("fork: %m");
  return p;
}

pid_t
xwaitpid (pid_t pid, int *status, int flags)
{
  pid_t r;
  while ((r = waitpid (pid, status, flags)) < 0 && errno == EINTR)
    ;
  if (r < 0)
    FAIL_EXIT1 ("waitpid: %m");
  return r;
}

void
xpipe (int fds[2])
{
  if (pipe (fds) != 0)
    FAIL_EXIT1 ("pipe: %m");
}

void
xclose (int fd)
{
  if (close (fd) != 0 && errno != EINTR)
    FAIL_EXIT1 ("close (%d): %m", fd);
}

void
xwrite (int fd, const void *buf, size_t n)
{
  const char *p = buf;
  while (n > 0)
    {
      ssize_t w = write (fd, p, n);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        FAIL_EXIT1 ("write of %zu bytes to %d: %m", n, fd);
      p += w;
      n -= (size_t) w;
    }
}

int
xopen (const char *path, int flags, mode_t mode)
{
  int fd = open (path, flags, mode);
  if (fd < 0)
    FAIL_EXIT1 ("open (\"%s\", 0x%x, 0%o): %m", path, flags, mode);
  return fd;
}

void *
xmmap (void *addr, size_t length, int prot, int flags, int fd)
{
  void *p = mmap (addr, length, prot, flags, fd, 0);
  if (p == MAP_FAILED)
    FAIL_EXIT1 ("mmap of %zu bytes, prot=0x%x, flags=0x%x: %m", length, prot, flags);
  return p;
}

void
xmunmap (void *addr, size_t length)
{
  if (munmap (addr, length) != 0)
    FAIL_EXIT1 ("munmap of %zu bytes at %p: %m", length, addr);
}

long
xsysconf (int name)
{
  errno = 0;
  long r = sysconf (name);
  if (r == -1 && errno != 0)
    FAIL_EXIT1 ("sysconf (%d): %m", name);
  return r;
}

sighandler_t
xsignal (int sig, sighandler_t handler)
{
  sighandler_t old = signal (sig, handler);
  if (old == SIG_ERR)
    FAIL_EXIT1 ("signal (%d): %m", sig);
  return old;
}

void
xraise (int sig)
{
  if (raise (sig) != 0)
    FAIL_EXIT1 ("raise (%d): %m", sig);
}

void
xsigaction (int sig, const struct sigaction *act, struct sigaction *old)
{
  if (sigaction (sig, act, old) != 0)
    FAIL_EXIT1 ("sigaction (%d): %m", sig);
}

/* Temporary files: removed at exit by the process that made them (not by its forks). */
enum { max_temp_files = 64 };
static char *temp_files[max_temp_files];
static int temp_file_count;
static pid_t temp_files_owner;

static void
remove_temp_files (void)
{
  if (getpid () != temp_files_owner)
    return;
  for (int i = 0; i < temp_file_count; ++i)
    unlink (temp_files[i]);
}

void
add_temp_file (const char *name)
{
  if (temp_file_count == max_temp_files)
    FAIL_EXIT1 ("more than %d temporary files", max_temp_files);
  if (temp_file_count == 0)
    {
      temp_files_owner = getpid ();
      atexit (remove_temp_files);
    }
  temp_files[temp_file_count++] = xstrdup (name);
}

int
create_temp_file (const char *base, char **filename)
{
  const char *dir = getenv ("TMPDIR");
  if (dir == NULL || *dir == '\0')
    dir = "/tmp";
  char *path = xasprintf ("%s/%sXXXXXX", dir, base);
  int fd = mkstemp (path);
  if (fd < 0)
    {
      printf ("error: mkstemp (\"%s\"): %m\n", path);
      free (path);
      return -1;
    }
  add_temp_file (path);
  if (filename != NULL)
    *filename = path;
  else
    free (path);
  return fd;
}
