/* Failure recording for HAKMEM's peer-test shim (support/check.h). The count lives in an
   anonymous shared mapping made before the supervisor forks, so failures recorded by the test
   child, or by processes it forks, reach the exit status. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <support/check.h>

static unsigned *failure_count;

__attribute__ ((constructor)) static void
record_failure_init (void)
{
  void *p = mmap (NULL, sizeof *failure_count, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    {
      perror ("support: mmap of the failure counter");
      exit (1);
    }
  failure_count = p;
}

void
support_record_failure (void)
{
  __atomic_add_fetch (failure_count, 1, __ATOMIC_RELAXED);
}

int
support_record_failure_is_failed (void)
{
  return __atomic_load_n (failure_count, __ATOMIC_RELAXED) != 0;
}

void
support_record_failure_reset (void)
{
  __atomic_store_n (failure_count, 0, __ATOMIC_RELAXED);
}

int
support_report_failure (int status)
{
  unsigned n = __atomic_load_n (failure_count, __ATOMIC_RELAXED);
  if (n == 0)
    return status;
  printf ("error: %u test failures\n", n);
  return status == 0 || status == 77 ? 1 : status;
}

void
support_print_failure (const char *file, int line, const char *fmt, ...)
{
  va_list ap;
  printf ("error: %s:%d: ", file, line);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  printf ("\n");
  fflush (stdout);
}

void
support_verify_failed (const char *file, int line, const char *expr, int exit_status)
{
  support_record_failure ();
  printf ("error: %s:%d: not true: %s\n", file, line, expr);
  fflush (stdout);
  if (exit_status)
    exit (exit_status);
}

void
support_compare_failed (const char *file, int line, const char *left_expr, long long left,
                        int left_unsigned, const char *right_expr, long long right,
                        int right_unsigned)
{
  support_record_failure ();
  printf ("error: %s:%d: value of %s (", file, line, left_expr);
  printf (left_unsigned ? "%llu" : "%lld", left);
  printf (") differs from %s (", right_expr);
  printf (right_unsigned ? "%llu" : "%lld", right);
  printf (")\n");
  fflush (stdout);
}

void
support_compare_blob_failed (const char *file, int line, const char *left_expr,
                             const char *right_expr)
{
  support_record_failure ();
  printf ("error: %s:%d: blob comparison failed: %s and %s differ\n", file, line, left_expr,
          right_expr);
  fflush (stdout);
}
