// Reclaim: slabs that other threads' frees emptied, taken back from heaps that are not using
// them. A heap learns that its slabs regained blocks only at its own refills (its ready stacks,
// remote_list.h); a thread that stopped allocating (a main thread waiting in join, a worker
// blocked on a queue) would hold them, and their SuperSlabs, for good. Parked heaps are
// skipped: the next new thread takes one whole within moments, and the decay dissolves those
// left (thread_heap.h); reclaiming them handed their sparsely touched slabs to other classes,
// which touched them whole, while the heap's next thread touched new ones (thread_churn 8,
// 10 interleaved runs: peak RSS 35.9 MiB with parked heaps reclaimed, 31.9 without, 30.5
// with no reclaim; larson-mb 4 / 8 kept reclaim's gain: 46 / 71 MiB against 53 / 92).
// So a refill about to take a slab from the shared pool or the OS first looks at a few other
// heaps (HAKMEM_RECLAIM): one whose ready stacks got a push and that has not refilled since a
// previous scan saw it (RemoteReady::idle_mark) is try-locked, never waited for; holding its
// lock the scan acts as its user for a moment: pops its ready stacks, drains each slab's remote
// list, releases to the pool the slabs with no block in use and no push pending (pool release
// kind `reclaim`), and moves the others to the front of the heap's list, as the heap's own
// refill would. The refill then finds them in the pool.
// Called by refill (refill.cc) with the caller's own heap lock held. Here too, the table of
// every heap the scans walk (and fork() locks, thread_heap.cc).
#pragma once
#include <cstdint>

namespace hakmem {

struct ThreadHeap;
struct SlabMeta;

// The table of every heap ever made (up to kMaxHeaps; heap structs are reused, never freed),
// in creation order, read lock-free: entries are published with release before the size. A
// retired heap stays in it, with no slabs. heap_table_at(i) for i < heap_table_size() is
// never null.
constexpr uint32_t kMaxHeaps = 4096;
constexpr uint32_t kHeapUnlisted = kMaxHeaps;   // the index of a heap beyond the table
// A new heap (heap registry lock held): its index, or kHeapUnlisted when the table is full.
uint32_t heap_table_add_locked(ThreadHeap* h);
uint32_t heap_table_size();
ThreadHeap* heap_table_at(uint32_t i);

// Scans up to kReclaimScan heaps of the table (thread_heap.h) after a rotating cursor,
// skipping self. Returns the slabs released to the pool.
uint32_t reclaim_idle_heaps(const ThreadHeap* self);
constexpr uint32_t kReclaimScan = 16;

// Steal (refill path adopt, HAKMEM_STEAL): before a refill takes a slab from the pool or the
// OS, a slab of its class that other threads' frees left at least a quarter free, from another
// heap. Remotely freed blocks stay in their owner's slabs until it refills from them, which a
// heap serving its thread from its own frees, or a parked one, may never do (half the bytes of
// Larson's slabs at T=4). Scans heaps as reclaim_idle_heaps does, only those whose ready stack
// of the class is not empty and whose refills have not collected it since the previous scan
// (RemoteReady::collects, steal_seen: a heap that refills from them would only take new slabs
// in their place), or that are parked; try-locked, never waited for. In each, pops that stack
// and drains its slabs: emptied ones go to the pool as a reclaim's would (not a parked heap's),
// the first of the others left a quarter free is taken, further such ones go back on the stack,
// the rest to the front of the heap's list, as its own refill would put them. The taken slab's
// owner becomes the caller before the other heap's lock is released, so that heap's next slow
// path sees it is no longer its own; its blocks still in the old owner's cache go to the new one
// as remote frees when flushed (refill.cc, return_block). The caller holds its own heap's lock.
// kStealFromIdle, for a refill whose bound slab's lists are empty, before it carves or scans its
// own slabs (refill.cc): only from heaps that are parked or that a reclaim scan found pushed
// to and that have not refilled since (idle_mark kIdleSeen). Scans that come at most refills
// find busy heaps between two of their collects, and a time since the last collect cannot
// tell an idle heap from a thread that is off the CPU: both took slabs their heaps were about
// to use (README, Stealing).
enum StealFrom : unsigned { kStealFromAny, kStealFromIdle };
SlabMeta* steal_slab(ThreadHeap* self, unsigned cls, StealFrom from);

}  // namespace hakmem
