// The lookup table behind size_to_class() for sizes up to 1 KiB, built at compile time from
// the arithmetic mapping so the two cannot disagree.
#include "base/size_classes.h"

namespace hakmem {
namespace {

constexpr SmallClassTable build_table() {
  SmallClassTable t{};
  for (unsigned i = 0; i <= 64; ++i) {
    size_t n = i * 16;
    unsigned cls = 0;
    while (class_size_of(cls) < n) ++cls;
    t.cls[i] = static_cast<uint8_t>(cls);
    t.cache_offset[i] = static_cast<uint16_t>(cls * kClassCacheBytes);
  }
  return t;
}

}  // namespace

constinit const SmallClassTable kSmallClasses = build_table();

}  // namespace hakmem
