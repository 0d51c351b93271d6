// Size classes: 16..128 B in 16 B steps (classes 0-7), then four classes per power of two
// up to 32 KiB (classes 8-39). Invariant: class_size(size_to_class(n)) >= n, and for n >= 64
// class_size(size_to_class(n)) <= 1.25 * n (a step is a quarter of the power of two below).
// Mapping is branch-light arithmetic, no table walk; called on every malloc.
#pragma once
#include <cstddef>
#include <cstdint>

#include "base/constants.h"

namespace hakmem {

constexpr size_t class_size_of(unsigned cls) {
  if (cls < 8) return (cls + 1) * 16;
  unsigned k = cls - 8;
  unsigned b = 7 + k / 4;
  return (size_t{1} << b) + (k % 4 + 1) * (size_t{1} << (b - 2));
}

// Classes of sizes up to 1 KiB by 16-byte step, (n + 15) / 16 -> class: one load on the
// malloc fast path for the common sizes.
struct SmallClassTable {
  uint8_t cls[65];
  uint16_t cache_offset[65];   // cls * kClassCacheBytes, for the malloc fast path
};
extern const SmallClassTable kSmallClasses;

// Precondition: n <= kMaxSmallSize.
inline unsigned size_to_class_arith(size_t n) {
  if (n <= 128) return n == 0 ? 0 : static_cast<unsigned>((n - 1) >> 4);
  size_t m = n - 1;
  unsigned b = 63 - static_cast<unsigned>(__builtin_clzl(m));   // floor(log2(n - 1)) >= 7
  return 8 + (b - 7) * 4 + static_cast<unsigned>((m >> (b - 2)) & 3);
}

inline unsigned size_to_class(size_t n) {
  if (n <= 1024) return kSmallClasses.cls[(n + 15) >> 4];
  return size_to_class_arith(n);
}

static_assert(class_size_of(7) == 128 && class_size_of(8) == 160 && class_size_of(11) == 256);
static_assert(class_size_of(kNumClasses - 1) == kMaxSmallSize);

// Block-boundary test without a division (Lemire, Kaser, Kurz 2019): for off < 2^32 and
// divc = floor((2^64 - 1) / size) + 1, off is a multiple of size iff off * divc (mod 2^64)
// < divc. One multiply and one compare on every free (written as `< divc`, not the paper's
// `<= divc - 1`, which GCC cannot fold: it costs a register copy and a subtraction more).
struct ClassInfo {
  uint32_t size;
  uint32_t pad;
  uint64_t divc;
};

inline constexpr ClassInfo class_info_of(unsigned cls) {
  uint64_t size = class_size_of(cls);
  return ClassInfo{static_cast<uint32_t>(size), 0, UINT64_MAX / size + 1};
}

inline bool is_multiple(uint64_t off, uint64_t divc) { return off * divc < divc; }

}  // namespace hakmem
