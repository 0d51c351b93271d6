// The always-available end of every invariant check: one line naming what broke, then abort.
// The checks themselves sit beside the structs they check (validate_slab in small/slab.h,
// validate_cache in small/thread_cache.h) and run through HAKMEM_VALIDATE: always in debug
// builds; in release builds (NDEBUG) when HAKMEM_CHECKS=1 (a load and a branch where the
// check would be, on slow paths only: none is on a fast path).
#pragma once
#include <cstdint>

#include "base/hints.h"

namespace hakmem {

// HAKMEM_CHECKS=1, set once by load_config.
extern bool g_checks_on;

// Writes `hakmem: invariant broken at WHERE: WHAT have=A want=B` and aborts.
[[noreturn, gnu::cold]] void invariant_broken(const char* what, const void* where, uint64_t have,
                                              uint64_t want);

}  // namespace hakmem

#ifdef NDEBUG
#define HAKMEM_VALIDATE(call) (HAKMEM_UNLIKELY(::hakmem::g_checks_on) ? (call) : (void)0)
#else
#define HAKMEM_VALIDATE(call) (call)
#endif
