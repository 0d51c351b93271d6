/* glibc's old test-skeleton.c for HAKMEM's peer-test shim (tests include it as
   "../test-skeleton.c", which the include path resolves here). Old tests define TEST_FUNCTION
   as an expression (`do_test ()`), or none and a do_test (argc, argv); PREPARE likewise. Both
   are wrapped into the functions the driver takes, then the driver follows. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <support/check.h>
#include <support/support.h>
#include <support/temp_file.h>
#include <support/xsignal.h>
/* The pthread wrappers, for tests that included <pthread.h> first (as glibc's does). */
#ifdef _PTHREAD_H
# include <support/xthread.h>
#endif

static int
hakmem_legacy_test (int argc, char **argv)
{
  (void) argc;
  (void) argv;
#ifdef TEST_FUNCTION
  return TEST_FUNCTION;
# undef TEST_FUNCTION
#else
  return do_test (argc, argv);
#endif
}
#define TEST_FUNCTION_ARGV hakmem_legacy_test

#ifdef PREPARE
static void
hakmem_legacy_prepare (int argc, char **argv)
{
  PREPARE (argc, argv);
}
# undef PREPARE
# define PREPARE hakmem_legacy_prepare
#endif

#include <support/test-driver.c>
