/* The supervisor of HAKMEM's peer-test shim (support/test-driver.h): the test runs in a forked
   child in its own process group, so a timeout kills it with everything it forked; the parent
   turns the child's end into 0 (passed), 77 (unsupported) or 1 (failed), as glibc's does. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <support/check.h>
#include <support/test-driver.h>

static pid_t test_pid;
static void (*cleanup) (void);

static void
timed_out (int sig)
{
  (void) sig;
  if (cleanup != NULL)
    cleanup ();
  kill (-test_pid, SIGKILL);
  static const char msg[] = "Timed out: killed the child process\n";
  write (STDOUT_FILENO, msg, sizeof msg - 1);
  _exit (1);
}

static int
run_test (int argc, char **argv, const struct test_config *config)
{
  int status = config->test_function_argv != NULL
                 ? config->test_function_argv (argc, argv)
                 : config->test_function ();
  fflush (stdout);
  return support_report_failure (status);
}

int
support_test_main (int argc, char **argv, const struct test_config *config)
{
  /* Unbuffered, as glibc's driver makes it, so output of forked children is not duplicated. */
  setvbuf (stdout, NULL, _IONBF, 0);
  if (config->prepare_function != NULL)
    config->prepare_function (argc, argv);

  int timeout = config->timeout > 0 ? config->timeout : DEFAULT_TIMEOUT;
  const char *factor = getenv ("TIMEOUTFACTOR");
  if (factor != NULL && atoi (factor) > 0)
    timeout *= atoi (factor);

  /* --direct: no supervisor, as glibc's option of that name (for a debugger). */
  if (argc > 1 && strcmp (argv[1], "--direct") == 0)
    exit (run_test (argc - 1, argv + 1, config));

  test_pid = fork ();
  if (test_pid < 0)
    {
      printf ("error: fork: %m\n");
      return 1;
    }
  if (test_pid == 0)
    {
      setpgid (0, 0);
      exit (run_test (argc, argv, config));
    }
  setpgid (test_pid, test_pid);

  cleanup = config->cleanup_function;
  signal (SIGALRM, timed_out);
  alarm (timeout);

  int status;
  pid_t r;
  while ((r = waitpid (test_pid, &status, 0)) < 0 && errno == EINTR)
    ;
  alarm (0);
  if (r < 0)
    {
      printf ("error: waitpid: %m\n");
      return 1;
    }
  /* Whatever the test forked and left behind goes with it. */
  kill (-test_pid, SIGKILL);

  if (WIFSIGNALED (status))
    {
      int sig = WTERMSIG (status);
      if (config->expected_signal == sig)
        return 0;
      if (config->expected_signal != 0)
        printf ("Incorrect signal from child: got `%s', need `%s'\n", strsignal (sig),
                strsignal (config->expected_signal));
      else
        printf ("Didn't expect signal from child: got `%s'\n", strsignal (sig));
      return 1;
    }
  int code = WEXITSTATUS (status);
  if (config->expected_signal != 0)
    {
      printf ("Expected signal `%s' from child, got none (status %d)\n",
              strsignal (config->expected_signal), code);
      return 1;
    }
  if (config->expected_status != 0)
    {
      if (code == config->expected_status)
        return 0;
      printf ("Expected status %d from child, got %d\n", config->expected_status, code);
      return 1;
    }
  return code;
}
