// The remote list: how a block freed by a thread other than its slab's owner gets home. Each
// slab has one (SlabMeta line B): an MPSC stack with the next pointer in word 0, its head one
// word that packs the block count with the top block (superslab.h). Any thread pushes with
// one CAS (remote_push); only the owner detaches it, whole, with one exchange (remote_drain),
// so pushers never wait, and the owner learns the chain's length with it: a chain that fits
// the refill goes to the thread cache as it is, without a walk over blocks whose lines the
// freeing core just wrote (remote-free T=2: that walk was 36 % of the producer's time).
// The push that finds the list empty also tells the owner: the slab goes on the owner's ready
// stack (remote_notify_owner), so a refill finds slabs that regained blocks at once instead of
// scanning its owned slabs for them, which a bounded scan cannot do among hundreds of slabs
// that remote frees fill back at random. A slab stays pinned while it is on a stack (`ready`):
// the pool does not unmap a SuperSlab with such a slab, since a popper will still read it.
//
// A push onto a list that already holds HAKMEM_REMOTE_DEMOTE blocks demotes the block's line
// to the shared cache after the CAS (x86 CLDEMOTE): its owner has not drained for that long, so
// its later read is served from there instead of from this core's private cache (README,
// Demoting far lines). Not on short lists: there the owner comes soon and the instruction's
// cost falls on the freeing thread.
//
// Lifetime: a pushed block is counted in `used` until the drain that takes it, which may run
// the moment the push's CAS lands and release the slab; so a pusher touches the slab only
// before its CAS (the notification comes first, while the block still keeps the slab).
#pragma once
#include <atomic>
#include <cstdint>

#include "small/slab.h"
#include "small/superslab.h"

namespace hakmem {

// Pushes p (a live block of m, freed by a thread that does not own m) onto m's remote list,
// tagging it free. Release: the owner's drain sees the tag and the next pointer.
void remote_push(SlabMeta* m, void* p);
// The pusher that found m's remote list empty calls this: m goes on its owner's ready stack
// for its class, unless it is on one already or has no owner (an orphan: adoption drains it),
// and the owner's idle_mark is set if clear (heap.h), for reclaim scans (reclaim.h).
void remote_notify_owner(SlabMeta* m);
// Owner h only: pops h's ready stack for cls. Each slab still h's, of cls and on h's owned
// list moves to its front, where the refill's partial scan looks first. Returns how many.
uint32_t remote_ready_collect(ThreadHeap* h, unsigned cls);
// h's user: pops h's ready stack `top` whole, clearing each slab's flag after reading its link
// (a pusher may put the slab on a stack again from there on), then hands the slab to on_slab.
// The slab may no longer be h's or of the stack's class: on_slab checks (ready_slab_of).
template <typename OnSlab>
void remote_ready_pop(std::atomic<SlabMeta*>& top, OnSlab on_slab) {
  if (top.load(std::memory_order_relaxed) == nullptr) return;
  for (SlabMeta* m = top.exchange(nullptr, std::memory_order_acquire); m != nullptr;) {
    SlabMeta* next = m->ready_next;
    m->ready.store(0, std::memory_order_release);
    on_slab(m);
    m = next;
  }
}
// A slab popped from h's ready stack of class cls is still h's slab of that class, in use.
inline bool ready_slab_of(const SlabMeta* m, const ThreadHeap* h, unsigned cls) {
  return m->owner.load(std::memory_order_relaxed) == h && m->cls == cls &&
         m->state.load(std::memory_order_relaxed) == kSlabOwned;
}
// h is being dissolved: pops all its ready stacks, clearing each slab's flag (a push that
// comes later stays until a heap recycled from h pops it).
void remote_ready_clear(ThreadHeap* h);
// The remote list's packed head (superslab.h).
constexpr unsigned kRemoteCountShift = 32;
inline uint32_t remote_list_count(uint64_t head) { return static_cast<uint32_t>(head >> kRemoteCountShift); }
inline void* remote_list_top(const SlabMeta* m, uint64_t head) {
  return head == 0 ? nullptr : m->start + static_cast<uint32_t>(head);
}
// Owner only: detaches m's remote list. The whole chain goes to out when it holds at most
// `whole` blocks and out can take a chain (BlockChain::append_whole); otherwise n blocks go
// to out and the rest to m's free list. Returns how many went to out.
uint32_t remote_drain(SlabMeta* m, BlockChain* out, uint32_t n, uint32_t whole = 0);

}  // namespace hakmem
