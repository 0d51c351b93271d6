// The always-available end of every invariant check: one line naming what broke, then abort.
// The checks themselves sit beside the structs they check (validate_slab in small/slab.h,
// validate_cache in small/thread_cache.h) and run in debug builds through HAKMEM_VALIDATE;
// release builds (NDEBUG) compile every HAKMEM_VALIDATE to nothing.
#pragma once
#include <cstdint>

namespace hakmem {

// Writes `hakmem: invariant broken at WHERE: WHAT have=A want=B` and aborts.
[[noreturn, gnu::cold]] void invariant_broken(const char* what, const void* where, uint64_t have,
                                              uint64_t want);

}  // namespace hakmem

#ifdef NDEBUG
#define HAKMEM_VALIDATE(call) ((void)0)
#else
#define HAKMEM_VALIDATE(call) (call)
#endif
