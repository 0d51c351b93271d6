/* What the stress programs share besides the allocator: a seeded PRNG, the fill pattern that
 * proves a block was not overwritten while it was live, and positional argument parsing.
 *
 * The pattern of a block is a function of (the address it was filled at, a tag drawn from the
 * run's seed for each fill). The tag matters: two owners handed the same block would write the
 * same address-only pattern and pass; with distinct tags the second fill breaks the first
 * owner's check. A block whose neighbour overruns it fails the same way, with the offset and
 * both values. Checks abort: a
 * stress failure must stop at the first corrupt byte, not at a later crash. Header-only; used
 * by stress_mt.cc and stress_fork.cc in both flavours (see stress_alloc.h). */
#ifndef HAKMEM_TESTS_STRESS_PATTERN_H
#define HAKMEM_TESTS_STRESS_PATTERN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace stress {

[[noreturn]] inline void fail(const char* msg) {
  // stderr is unbuffered, so this line is out before abort() even in a forked child.
  fprintf(stderr, "stress FAILED: %s\n", msg);
  abort();
}

inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// xorshift64*: cheap enough that the allocator, not the generator, dominates the profile.
// One per thread, seeded from (run seed, stream index), so a run is reproducible per seed.
class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream) : s_(mix64(seed ^ mix64(stream + 1)) | 1) {}
  uint64_t next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545F4914F6CDD1Dull;
  }
  // Uniform in [lo, hi], hi >= lo; the modulo bias is irrelevant for sizes and choices.
  uint64_t range(uint64_t lo, uint64_t hi) { return lo + next() % (hi - lo + 1); }
  bool percent(unsigned p) { return next() % 100 < p; }

 private:
  uint64_t s_;
};

inline uint64_t pattern_word(uint64_t base, size_t i) {
  return base ^ (static_cast<uint64_t>(i) * 0x9E3779B97F4A7C15ull);
}

inline uint64_t pattern_base(uintptr_t filled_at, uint64_t tag) {
  return mix64(static_cast<uint64_t>(filled_at) ^ tag);
}

inline void pattern_fill(void* block, size_t n, uint64_t tag) {
  uint64_t base = pattern_base(reinterpret_cast<uintptr_t>(block), tag);
  unsigned char* p = static_cast<unsigned char*>(block);
  size_t words = n / 8;
  for (size_t i = 0; i < words; i++) {
    uint64_t w = pattern_word(base, i);
    memcpy(p + i * 8, &w, 8);
  }
  uint64_t tail = pattern_word(base, words);
  memcpy(p + words * 8, &tail, n % 8);
}

[[noreturn]] inline void pattern_report(const void* block, size_t n, size_t off, uint64_t got,
                                        uint64_t want, const char* what) {
  char msg[256];
  snprintf(msg, sizeof msg,
           "%s: pattern mismatch in block %p size %zu at offset %zu: got %016llx want %016llx",
           what, block, n, off, static_cast<unsigned long long>(got),
           static_cast<unsigned long long>(want));
  fail(msg);
}

// Checks the first n bytes of block against the pattern written when the block lived at
// filled_at (differs from block after a realloc moved it).
inline void pattern_check_as(const void* block, uintptr_t filled_at, size_t n, uint64_t tag,
                             const char* what) {
  uint64_t base = pattern_base(filled_at, tag);
  const unsigned char* p = static_cast<const unsigned char*>(block);
  size_t words = n / 8;
  // Accumulate first and locate only on failure: keeps the loop vectorizable, so full checks
  // of 1 MiB blocks stay cheap.
  uint64_t diff = 0;
  for (size_t i = 0; i < words; i++) {
    uint64_t w;
    memcpy(&w, p + i * 8, 8);
    diff |= w ^ pattern_word(base, i);
  }
  uint64_t want_tail = pattern_word(base, words), got_tail = 0, want_masked = 0;
  memcpy(&got_tail, p + words * 8, n % 8);
  memcpy(&want_masked, &want_tail, n % 8);
  if (diff == 0 && got_tail == want_masked) return;
  for (size_t i = 0; i < words; i++) {
    uint64_t w;
    memcpy(&w, p + i * 8, 8);
    if (w != pattern_word(base, i)) pattern_report(block, n, i * 8, w, pattern_word(base, i), what);
  }
  pattern_report(block, n, words * 8, got_tail, want_masked, what);
}

inline void pattern_check(const void* block, size_t n, uint64_t tag, const char* what) {
  pattern_check_as(block, reinterpret_cast<uintptr_t>(block), n, tag, what);
}

inline void check_zero(const void* block, size_t n, const char* what) {
  const unsigned char* p = static_cast<const unsigned char*>(block);
  unsigned char acc = 0;
  for (size_t i = 0; i < n; i++) acc |= p[i];
  if (acc == 0) return;
  for (size_t i = 0; i < n; i++)
    if (p[i] != 0) pattern_report(block, n, i, p[i], 0, what);
}

// A live block as its owner sees it: where, how many bytes it asked for, and the fill tag.
struct Block {
  void* p = nullptr;
  size_t n = 0;
  uint64_t tag = 0;
};

inline void block_fill(const Block& b) { pattern_fill(b.p, b.n, b.tag); }
inline void block_check(const Block& b, const char* what) { pattern_check(b.p, b.n, b.tag, what); }

// Positional argument index (1-based) as an unsigned number, or fallback when absent.
inline uint64_t arg_u64(int argc, char** argv, int index, uint64_t fallback, const char* usage) {
  if (index >= argc) return fallback;
  char* end = nullptr;
  unsigned long long v = strtoull(argv[index], &end, 0);
  if (end == argv[index] || *end != '\0') {
    fprintf(stderr, "bad argument '%s'\nusage: %s %s\n", argv[index], argv[0], usage);
    exit(2);
  }
  return v;
}

}  // namespace stress

#endif
