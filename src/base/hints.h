// Hints to the compiler and the CPU. Each branch hint marks the branch that the
// instruction-count benchmark (tests/bench/compare --instructions) was measured with; a hint
// that stops matching the common case costs more than it saves.
#pragma once

#define HAKMEM_LIKELY(x) __builtin_expect(!!(x), 1)
#define HAKMEM_UNLIKELY(x) __builtin_expect(!!(x), 0)

// Fetches p's cache line for writing (x86 PREFETCHW; CPUs without it execute it as a NOP, and
// GCC's __builtin_prefetch emits it only when built for a CPU that has it). Never faults,
// whatever p holds.
inline void prefetch_for_write(const void* p) {
#if defined(__x86_64__)
  asm volatile("prefetchw (%0)" : : "r"(p));
#else
  __builtin_prefetch(p, 1);
#endif
}
