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
// heap. Blocks freed remotely stay in their owner's slabs until it refills from them, which a
// heap that serves its thread from its own frees, or a parked one, may never do: in Larson's
// lanes at T=4 (more threads than cores) 21.8 of the 43.6 MB in the heaps' slabs were such
// blocks (one snapshot, instrumented build). Scans up to kReclaimScan heaps of the table whose
// ready stack of the class is not empty and whose refills have not collected it since the
// previous scan (RemoteReady::collects and steal_seen: it is not using those slabs; stealing
// from a heap that refills from them, a producer's in prodcons T=8, made it take new slabs:
// peak RSS 6.2 -> 7.3 MiB), or that is parked, try-locked, never waited for; in each, pops that stack
// and drains its slabs: the emptied ones go to the pool as a reclaim's would (not a parked
// heap's), the first of the others left a quarter free (or a parked heap's empty one: it keeps
// its class, so no page of it is touched anew, unlike a reclaimed slab, which any class may
// take) is taken, the other such ones go back on the stack for the next steal, and the rest
// to the front of the heap's list, as its own refill would put them. The taken slab is made
// the caller's (its owner field) before the other heap's lock is released, so that heap's
// next slow path sees it is no longer its own. Its blocks still in the old owner's cache go to
// the new owner by a remote free when they are flushed (refill.cc, return_block); those the old
// owner hands out are freed to the new one like any other heap's blocks. The caller holds its
// own heap's lock.
SlabMeta* steal_slab(ThreadHeap* self, unsigned cls);

}  // namespace hakmem
