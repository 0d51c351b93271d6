/* What glibc's support/test-driver.c hands its supervisor (HAKMEM's peer-test shim): the test
   function and the outcome the test expects. */
#ifndef HAKMEM_PEER_SUPPORT_TEST_DRIVER_H
#define HAKMEM_PEER_SUPPORT_TEST_DRIVER_H

#ifdef __cplusplus
extern "C" {
#endif

struct test_config
{
  void (*prepare_function) (int argc, char **argv);
  int (*test_function) (void);
  int (*test_function_argv) (int argc, char **argv);
  void (*cleanup_function) (void);
  int expected_status;   /* 0: exit status 0 */
  int expected_signal;   /* 0: no signal expected */
  int timeout;           /* seconds; 0: the default */
};

/* Runs the test in a forked child under a timeout (scaled by $TIMEOUTFACTOR) and returns the
   process's exit status: 0 passed, 77 unsupported, anything else failed. */
int support_test_main (int argc, char **argv, const struct test_config *config);

#define EXIT_UNSUPPORTED 77
/* Seconds, before $TIMEOUTFACTOR; tests scale their own TIMEOUT from it. */
#define DEFAULT_TIMEOUT 20

#ifdef __cplusplus
}
#endif

#endif
