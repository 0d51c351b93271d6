// Branch hints for the fast paths. Each marks the branch that the instruction-count benchmark
// (tests/bench/compare --instructions) was measured with; a hint that stops matching the
// common case costs more than it saves.
#pragma once

#define HAKMEM_LIKELY(x) __builtin_expect(!!(x), 1)
#define HAKMEM_UNLIKELY(x) __builtin_expect(!!(x), 0)
