// Orphans: slabs whose owner exited while some of their blocks were still live. They wait,
// one list per class under the orphans lock, for a heap to adopt them (refill path `adopt`);
// meanwhile any thread may still free their blocks onto their remote lists.
#pragma once

#include "small/superslab.h"

namespace hakmem {

struct ThreadHeap;

void orphan_push(SlabMeta* m);
// An orphan of class cls, unlinked (the caller makes itself the owner), or nullptr.
SlabMeta* orphan_pop(unsigned cls);
// Adopts every orphan, drains it and releases it if it is empty (malloc_trim).
void orphans_reclaim(ThreadHeap* h);

}  // namespace hakmem
