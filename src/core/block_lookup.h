// What a pointer handed back to us is. Every check that does not need the hot path's speed
// lives here: page map, SuperSlab and large headers, block boundaries, and the confirmation
// of a suspected double free. Nothing here dereferences p before the page map says its chunk
// is ours.
#pragma once
#include "large/large.h"
#include "small/superslab.h"
#include "small/thread_cache.h"

namespace hakmem {

struct BlockRef {
  SlabMeta* slab = nullptr;        // small block: its slab
  LargeRef large;                  // large block: its run or span (large.usable > 0)
  const char* error = nullptr;     // set when p is not a live block start we handed out
  bool is_large() const { return large.usable != 0; }
};

// Checks everything but the free tag.
BlockRef lookup_block(const void* p);
// p (a block of m carrying its free tag) is a double free unless it sits in none of the free
// lists that can be walked safely from this thread.
bool confirm_double_free(SlabMeta* m, const void* p, const ThreadCache& tc);

}  // namespace hakmem
