// SuperSlabs and their slabs' metadata, each with the invariant that holds whenever its owner
// is not inside a slow path (validate_slab() in slab.h checks it in debug builds).
//
// Ownership: a slab belongs to at most one ThreadHeap; only that heap touches the slab's
// free list, virgin range, `used` and list links. Other threads touch a slab only through its
// remote list (one CAS push) and by reading `owner`; the pusher that finds the remote list
// empty also puts the slab on its owner's ready stack (`ready`, `ready_next`).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "base/constants.h"

namespace hakmem {

struct ThreadHeap;

enum SlabState : uint8_t {
  kSlabFree = 0,     // in the shared pool or a heap's stash; no class
  kSlabOwned = 1,    // bound to a class, owned by `owner`
  kSlabOrphan = 2,   // its owner exited with blocks still live; waits for adoption
};

// Per-slab metadata, in the SuperSlab header. Line A is read on every free (by any thread)
// and written only when the slab changes hands; line B is the owner's working state plus the
// remote list, so remote pushes never invalidate line A.
//
// Invariant (owned or orphaned slab):
//   used + length(free_list) + (limit - virgin) / obj_size == capacity
// where `used` counts blocks with users, in thread caches, or on the remote list. A block on
// the remote list stays counted until the owner's drain takes it, with the list's exact
// count (remote_head), so a slab is never released while a block of it is on its way.
struct alignas(64) SlabMeta {
  // line A
  std::atomic<ThreadHeap*> owner;
  char* start;            // first block
  uint64_t divc;          // divisibility test by obj_size, see size_classes.h
  uint32_t span;          // capacity * obj_size: offsets below it lie in a block
  uint32_t obj_size;
  uint32_t capacity;
  uint16_t cls;
  uint16_t cache_offset;  // cls * kClassCacheBytes: the free fast path's index, precomputed
  std::atomic<uint8_t> state;
  uint8_t index;          // position in the SuperSlab
  // 1 while the slab is on a heap's ready stack (remote_list.h): set by the remote pusher
  // that found the remote list empty, cleared by the heap that pops the stack. Written once
  // per drain cycle, not per free, so line A stays quiet for the free path's readers.
  std::atomic<uint8_t> ready;
  SlabMeta* ready_next;   // the ready stack's link, written by the pusher that set `ready`
  // line B: the MPSC remote list (small/remote_list.h), next pointer in word 0. One word: the
  // list's block count (high 32 bits) and the top block's offset from `start` (low 32); 0
  // when empty. A push updates both with one CAS, so a drain knows the chain's length exactly.
  alignas(64) std::atomic<uint64_t> remote_head;
  // Bytes from the slab's base counted in resident_bytes (counters/resident.h): page-rounded,
  // up to the end of the highest block ever carved (slab 0: at least the SuperSlab header).
  // Kept across binds, since a rebound slab's old pages stay resident; 0 in a fresh mapping.
  uint32_t touched;
  void* free_list;
  char* virgin;           // [virgin, limit): never handed out
  char* limit;
  uint32_t used;
  uint32_t in_owned_list;
  SlabMeta* prev;         // owner's per-class list, the orphan list, or the stash
  SlabMeta* next;
};
static_assert(sizeof(SlabMeta) == 128);

constexpr uint64_t kSuperSlabMagic = 0x48414b4d454d5353ull;   // "HAKMEMSS"

// A 2 MiB-aligned region: this header, then 32 slabs of 64 KiB (slab 0 starts after the
// header). Pool fields are guarded by the pool lock.
// Invariant: popcount(free_mask) == number of slabs in the pool's free state;
//            on the pool's empty list  <=>  free_mask == all ones.
struct SuperSlab {
  uint64_t magic;          // kSuperSlabMagic ^ address: a scribbled header is detected
  uint32_t free_mask;      // slabs handed back to the pool
  uint32_t pool_list;      // which pool list holds it (shared_pool.cc)
  uint64_t empty_since_ns;
  SuperSlab* prev;
  SuperSlab* next;
  alignas(64) SlabMeta slabs[kSlabsPerSuperSlab];
};
static_assert(sizeof(SuperSlab) <= kSuperSlabHeaderSize);

inline SuperSlab* superslab_of(const void* p) {
  return reinterpret_cast<SuperSlab*>(reinterpret_cast<uintptr_t>(p) & ~kSuperSlabMask);
}
inline bool superslab_header_ok(const SuperSlab* ss) {
  return ss->magic == (kSuperSlabMagic ^ reinterpret_cast<uintptr_t>(ss));
}
inline SlabMeta* slab_of(SuperSlab* ss, const void* p) {
  return &ss->slabs[(reinterpret_cast<uintptr_t>(p) & kSuperSlabMask) >> kSlabShift];
}
inline SuperSlab* superslab_of_meta(const SlabMeta* m) { return superslab_of(m); }

}  // namespace hakmem
