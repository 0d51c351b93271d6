/* glibc's support/test-driver.c for HAKMEM's peer-test shim: included at the end of a test,
   it turns the macros the test defined (TEST_FUNCTION, PREPARE, TIMEOUT, EXPECTED_SIGNAL,
   EXPECTED_STATUS, CLEANUP_HANDLER) into a main that runs do_test under the supervisor. */
#include <string.h>

#include <support/test-driver.h>

int
main (int argc, char **argv)
{
  struct test_config config;
  memset (&config, 0, sizeof config);
#ifdef PREPARE
  config.prepare_function = (PREPARE);
#endif
#if defined (TEST_FUNCTION)
  config.test_function = TEST_FUNCTION;
#elif defined (TEST_FUNCTION_ARGV)
  config.test_function_argv = TEST_FUNCTION_ARGV;
#else
  config.test_function = do_test;
#endif
#ifdef CLEANUP_HANDLER
  config.cleanup_function = CLEANUP_HANDLER;
#endif
#ifdef EXPECTED_SIGNAL
  config.expected_signal = (EXPECTED_SIGNAL);
#endif
#ifdef EXPECTED_STATUS
  config.expected_status = (EXPECTED_STATUS);
#endif
#ifdef TIMEOUT
  config.timeout = TIMEOUT;
#endif
  return support_test_main (argc, argv, &config);
}
