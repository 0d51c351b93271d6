/* The part of glibc's support/check.h that malloc/tst-*.c use, written for HAKMEM's peer-test
   driver (tests/peer): the same macro names and the same meaning (a failed TEST_VERIFY or
   TEST_COMPARE is recorded and the test goes on; the *_EXIT forms and FAIL_EXIT1 end it with
   status 1), so glibc's tests build unchanged against this stand-in. */
#ifndef HAKMEM_PEER_SUPPORT_CHECK_H
#define HAKMEM_PEER_SUPPORT_CHECK_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Counts a failure in memory shared with the supervising process, so a failure recorded in a
   forked child still fails the test. */
void support_record_failure (void);
/* STATUS, or 1 when STATUS is 0 but a failure was recorded. */
int support_report_failure (int status);
int support_record_failure_is_failed (void);
void support_record_failure_reset (void);

void support_print_failure (const char *file, int line, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));
void support_verify_failed (const char *file, int line, const char *expr, int exit_status);
void support_compare_failed (const char *file, int line, const char *left_expr,
                             long long left, int left_unsigned, const char *right_expr,
                             long long right, int right_unsigned);
void support_compare_blob_failed (const char *file, int line, const char *left_expr,
                                  const char *right_expr);

#define FAIL(...) \
  (support_record_failure (), support_print_failure (__FILE__, __LINE__, __VA_ARGS__))
#define FAIL_RET(...) \
  return (support_print_failure (__FILE__, __LINE__, __VA_ARGS__), support_record_failure (), 1)
#define FAIL_EXIT(status, ...) \
  (support_record_failure (), support_print_failure (__FILE__, __LINE__, __VA_ARGS__), \
   exit (status))
#define FAIL_EXIT1(...) FAIL_EXIT (1, __VA_ARGS__)
#define FAIL_UNSUPPORTED(...) \
  (support_print_failure (__FILE__, __LINE__, __VA_ARGS__), exit (77))

#define TEST_VERIFY(expr) \
  ((expr) ? (void) 0 : support_verify_failed (__FILE__, __LINE__, #expr, 0))
#define TEST_VERIFY_EXIT(expr) \
  ((expr) ? (void) 0 : support_verify_failed (__FILE__, __LINE__, #expr, 1))

/* Values of any integer type, compared as integers; a signedness mismatch is reported the way
   the values print, not refused at compile time as glibc's version does. */
#define TEST_COMPARE(left, right)                                                       \
  do {                                                                                  \
    __typeof__ (left) hakmem_left_ = (left);                                            \
    __typeof__ (right) hakmem_right_ = (right);                                         \
    if (!(hakmem_left_ == hakmem_right_))                                               \
      support_compare_failed (__FILE__, __LINE__, #left, (long long) hakmem_left_,      \
                              (__typeof__ (left)) -1 > 0, #right,                       \
                              (long long) hakmem_right_, (__typeof__ (right)) -1 > 0);  \
  } while (0)

#define TEST_COMPARE_BLOB(left, left_len, right, right_len)                             \
  do {                                                                                  \
    size_t hakmem_ll_ = (left_len), hakmem_rl_ = (right_len);                           \
    if (hakmem_ll_ != hakmem_rl_ || memcmp ((left), (right), hakmem_ll_) != 0)          \
      support_compare_blob_failed (__FILE__, __LINE__, #left, #right);                  \
  } while (0)

#ifdef __cplusplus
}
#endif

#endif
