// The remote list: how a block freed by a thread other than its slab's owner gets home. Each
// slab has one (SlabMeta line B): an MPSC stack with the next pointer in word 0. Any thread
// pushes with one CAS (remote_push); only the owner detaches it, whole, with one exchange
// (remote_drain), so pushers never wait and the owner never walks a list others are writing.
//
// Counting: a pusher bumps remote_count after its CAS, so a drain may see a block before its
// count, or a count before its block; `used` may lag high, never low (superslab.h), so a
// slab is never released while a pushed block is still on its way.
#pragma once
#include <cstdint>

#include "small/slab.h"
#include "small/superslab.h"

namespace hakmem {

// Pushes p (a live block of m, freed by a thread that does not own m) onto m's remote list,
// tagging it free. Release: the owner's drain sees the tag and the next pointer.
void remote_push(SlabMeta* m, void* p);
// Owner only: detaches m's remote list; up to n blocks go to out, the rest to m's free list.
// Returns how many went to out.
uint32_t remote_drain(SlabMeta* m, BlockChain* out, uint32_t n);

}  // namespace hakmem
