// The counters as the hak_* API reports them, for the unit tests' assertions.
#pragma once
#include <gtest/gtest.h>

#include <cstddef>

#include "hakmem/hakmem.h"

// A size of class 3072, which gtest itself never allocates through hak_*: a test that owns
// the class at that moment may assert exact counts on it.
constexpr size_t kOwnClassSize = 2800;

inline hak_stats snap() {
  hak_stats s;
  hak_stats_snapshot(&s);
  return s;
}

inline hak_class_stats class_stats(int cls) {
  hak_stats s;
  EXPECT_EQ(hak_stats_snapshot(&s), 0);
  return s.classes[cls];
}
