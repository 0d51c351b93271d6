// Debug-build validation of the invariants written beside the structs in types.h. Release
// builds (NDEBUG) compile every HAKMEM_VALIDATE to nothing; debug builds run them on the slow
// paths and abort with a line naming the broken invariant.
#pragma once
#include "types.h"

namespace hakmem {

// Writes `hakmem: invariant broken at WHERE: WHAT have=A want=B` and aborts.
[[noreturn, gnu::cold]] void invariant_broken(const char* what, const void* where, uint64_t have,
                                              uint64_t want);

// used + length(free_list) + virgin blocks == capacity; every free-list entry is a block.
void validate_slab(const SlabMeta* m);
// count == length(head) <= cap.
void validate_cache(const ClassCache& cc);

}  // namespace hakmem

#ifdef NDEBUG
#define HAKMEM_VALIDATE(call) ((void)0)
#else
#define HAKMEM_VALIDATE(call) (call)
#endif
