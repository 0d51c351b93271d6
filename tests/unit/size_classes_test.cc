// Class mapping: every size maps to a class that fits it, classes grow, and the
// fragmentation bound of DESIGN.md holds for every request of 64 B and more.
#include <gtest/gtest.h>

#include "hakmem/hakmem.h"

TEST(SizeClasses, EverySizeFitsItsClassWithinTheBound) {
  for (size_t n = 0; n <= HAK_MAX_SMALL_SIZE; ++n) {
    int cls = hak_size_to_class(n);
    ASSERT_GE(cls, 0) << n;
    size_t size = hak_class_size(cls);
    ASSERT_GE(size, n == 0 ? 1 : n) << n;
    if (cls > 0) ASSERT_LT(hak_class_size(cls - 1), n) << "not the smallest class for " << n;
    if (n >= 64) ASSERT_LE(size * 4, n * 5) << "fragmentation over 25 % for " << n;
    ASSERT_EQ(size % 16, 0u) << n;
  }
}

TEST(SizeClasses, ClassesAreStrictlyIncreasing) {
  for (int c = 1; c < HAK_NUM_CLASSES; ++c) EXPECT_GT(hak_class_size(c), hak_class_size(c - 1));
  EXPECT_EQ(hak_class_size(HAK_NUM_CLASSES - 1), size_t{HAK_MAX_SMALL_SIZE});
  EXPECT_EQ(hak_size_to_class(HAK_MAX_SMALL_SIZE + 1), -1);
  EXPECT_EQ(hak_class_size(HAK_NUM_CLASSES), 0u);
  EXPECT_EQ(hak_class_size(-1), 0u);
}
