// The shared pool of slabs and SuperSlabs. Stages, in the order pool_acquire tries them:
//   thread_stash            lock-free: slabs this heap emptied itself (HAKMEM_POOL_STASH)
//   locked_free_slab        pool lock: a free slab of a SuperSlab that is partly in use
//   locked_empty_superslab  pool lock: a slab of a wholly empty SuperSlab awaiting decay
//   superslab_carve         lock-free: a never-used slab of the SuperSlab this heap mapped
//   new_superslab           mmap of a fresh 2 MiB-aligned SuperSlab
// The first three are the `pool_slab` refill path, the last two `new_superslab`.
// Partly used SuperSlabs are preferred so empty ones can decay and go back to the OS
// (HAKMEM_DECAY_MS), by the helper thread (background.cc) or the next slow path; a program
// without a helper keeps at most a small reserve of them (background.cc).
#include <atomic>

#include "small/shared_pool.h"

#include "base/page_map.h"
#include "counters/resident.h"
#include "counters/segment_storage.h"
#include "os/os.h"
#include "small/heap.h"
#include "support/decay.h"
#include "support/env_config.h"
#include "sync/background.h"
#include "sync/lock.h"

namespace hakmem {
namespace {

constexpr uint32_t kAllSlabs = 0xFFFFFFFFu;
enum : uint32_t { kInNoList = 0, kInPartialList = 1, kInEmptyList = 2 };

struct SsList {
  SuperSlab* head = nullptr;
  void push(SuperSlab* ss) {
    ss->prev = nullptr;
    ss->next = head;
    if (head != nullptr) head->prev = ss;
    head = ss;
  }
  void unlink(SuperSlab* ss) {
    if (ss->prev != nullptr) ss->prev->next = ss->next; else head = ss->next;
    if (ss->next != nullptr) ss->next->prev = ss->prev;
    ss->prev = ss->next = nullptr;
  }
};

SsList g_partial;   // some slabs free, some in use (pool lock)
SsList g_empty;     // every slab free, waiting for the decay (pool lock)
std::atomic<uint64_t> g_pool_free_slabs{0};
std::atomic<uint64_t> g_empty_count{0};

// The occupancy gauges of the segment: a SuperSlab is counted active from its mapping until
// the pool holds all of its slabs, then empty until it is reused or leaves for the OS.
void count_superslab_in(unsigned state) { seg_add(process_counts().superslabs[state], 1); }
void count_superslab_out(unsigned state) { seg_sub(process_counts().superslabs[state], 1); }
std::atomic<uint64_t> g_next_expiry_check{0};

SuperSlab* superslab_map() {
  void* mem = os::map_aligned(kSuperSlabSize, kSuperSlabSize);
  if (mem == nullptr) return nullptr;
  auto base = reinterpret_cast<uintptr_t>(mem);
  if (!page_map_set(base, kSuperSlabSize, kChunkSuperSlab, kChunkSuperSlab)) {
    os::unmap(mem, kSuperSlabSize);
    return nullptr;
  }
  // Fresh anonymous memory is zero: only non-zero fields need writing.
  auto* ss = static_cast<SuperSlab*>(mem);
  ss->magic = kSuperSlabMagic ^ base;
  for (unsigned i = 0; i < kSlabsPerSuperSlab; ++i) ss->slabs[i].index = static_cast<uint8_t>(i);
  ss->slabs[0].touched = kSuperSlabHeaderSize;
  resident_grow(kSuperSlabHeaderSize);
  count_superslab_in(kSuperSlabACTIVE);
  return ss;
}

SlabMeta* take_locked(SsList* list, SuperSlab* ss) {
  unsigned i = static_cast<unsigned>(__builtin_ctz(ss->free_mask));
  if (ss->pool_list == kInEmptyList) {
    g_empty_count.fetch_sub(1, std::memory_order_relaxed);
    count_superslab_out(kSuperSlabEMPTY);
    count_superslab_in(kSuperSlabACTIVE);
  }
  ss->free_mask &= ~(1u << i);
  list->unlink(ss);
  ss->pool_list = kInNoList;
  if (ss->free_mask != 0) {
    g_partial.push(ss);
    ss->pool_list = kInPartialList;
  }
  g_pool_free_slabs.fetch_sub(1, std::memory_order_relaxed);
  return &ss->slabs[i];
}

SlabMeta* acquire_locked(PoolStage* stage) {
  if (g_pool_free_slabs.load(std::memory_order_relaxed) == 0) return nullptr;
  LockGuard g(lock_of(kLockPOOL));
  if (g_partial.head != nullptr) {
    *stage = kStageLOCKED_FREE_SLAB;
    return take_locked(&g_partial, g_partial.head);
  }
  if (g_empty.head != nullptr) {
    *stage = kStageLOCKED_EMPTY_SUPERSLAB;
    return take_locked(&g_empty, g_empty.head);
  }
  return nullptr;
}

void release_locked(SlabMeta* m, unsigned* kind) {
  SuperSlab* ss = superslab_of_meta(m);
  ss->free_mask |= 1u << m->index;
  g_pool_free_slabs.fetch_add(1, std::memory_order_relaxed);
  *kind = kReleaseSLOT;
  if (ss->pool_list == kInNoList) {
    g_partial.push(ss);
    ss->pool_list = kInPartialList;
  }
  if (ss->free_mask == kAllSlabs) {
    g_partial.unlink(ss);
    g_empty.push(ss);
    ss->pool_list = kInEmptyList;
    ss->empty_since_ns = os::now_ns();
    g_empty_count.fetch_add(1, std::memory_order_relaxed);
    count_superslab_out(kSuperSlabACTIVE);
    count_superslab_in(kSuperSlabEMPTY);
    *kind = kReleaseSUPERSLAB_EMPTY;
  }
}

// Called from slow paths: one relaxed load when nothing is empty, and at most one locked walk
// of the empty list per eighth of the decay otherwise.
void maybe_release_expired() {
  if (pool_has_empty() && decay_check_due(g_next_expiry_check)) pool_release_expired(false);
}

}  // namespace

SlabMeta* pool_acquire(ThreadHeap* h, PoolStage* found) {
  const Config& cfg = config();
  maybe_release_expired();
  PoolStage stage = kStageTHREAD_STASH;
  SlabMeta* m = nullptr;
  if (cfg.pool != 0) {
    if (h->stash_count > 0) {
      m = h->stash[--h->stash_count];
    } else {
      m = acquire_locked(&stage);
    }
  }
  if (m == nullptr) {
    stage = kStageSUPERSLAB_CARVE;
    if (h->carve_ss == nullptr || h->carve_next == kSlabsPerSuperSlab) {
      SuperSlab* ss = superslab_map();
      if (ss == nullptr) return nullptr;
      h->carve_ss = ss;
      h->carve_next = 0;
      stage = kStageNEW_SUPERSLAB;
    }
    m = &h->carve_ss->slabs[h->carve_next++];
  }
  seg_add(process_counts().pool_acquires[stage], 1);
  *found = stage;
  return m;
}

void pool_release(SlabMeta* m) {
  unsigned kind;
  {
    LockGuard g(lock_of(kLockPOOL));
    release_locked(m, &kind);
  }
  seg_add(process_counts().pool_releases[kind], 1);
  if (kind == kReleaseSUPERSLAB_EMPTY) background_notify();
  maybe_release_expired();
}

namespace {

// An empty slab leaves its heap: no longer bound to its class, owned by nobody.
void leave_heap(SlabMeta* m) {
  seg_sub(process_counts().slabs_in_use[m->cls], 1);
  m->state.store(kSlabFree, std::memory_order_relaxed);
  m->owner.store(nullptr, std::memory_order_relaxed);
}

}  // namespace

void heap_release_empty_slab(ThreadHeap* h, SlabMeta* m) {
  leave_heap(m);
  if (h->stash_count < config().pool_stash) {
    h->stash[h->stash_count++] = m;
    seg_add(process_counts().pool_releases[kReleaseSTASH], 1);
    return;
  }
  pool_release(m);
}

void pool_release_reclaimed(SlabMeta* m) {
  leave_heap(m);
  seg_add(process_counts().pool_releases[kReleaseRECLAIM], 1);
  pool_release(m);
}

void pool_return_heap_reserve(ThreadHeap* h) {
  while (h->stash_count > 0) pool_release(h->stash[--h->stash_count]);
  if (h->carve_ss != nullptr) {
    while (h->carve_next < kSlabsPerSuperSlab) pool_release(&h->carve_ss->slabs[h->carve_next++]);
    h->carve_ss = nullptr;
  }
}

bool pool_has_empty() { return g_empty_count.load(std::memory_order_relaxed) != 0; }

namespace {

// A slab of ss is still on a heap's ready stack (remote_list.h), whose popper will read it:
// ss stays mapped until a later release finds none.
bool on_ready_stack(const SuperSlab* ss) {
  for (const SlabMeta& m : ss->slabs) {
    if (m.ready.load(std::memory_order_acquire) != 0) return true;
  }
  return false;
}

// Takes the empty SuperSlabs that `leave(ss, kept)` picks off the empty list (newest first;
// `kept` counts the empties it left there before ss) and unmaps them outside the lock.
template <typename Leave>
size_t release_empty(Leave leave) {
  SuperSlab* doomed = nullptr;
  {
    LockGuard g(lock_of(kLockPOOL));
    uint64_t kept = 0;
    SuperSlab* ss = g_empty.head;
    while (ss != nullptr) {
      SuperSlab* next = ss->next;
      if (leave(ss, kept) && !on_ready_stack(ss)) {
        g_empty.unlink(ss);
        ss->pool_list = kInNoList;
        g_empty_count.fetch_sub(1, std::memory_order_relaxed);
        count_superslab_out(kSuperSlabEMPTY);
        g_pool_free_slabs.fetch_sub(kSlabsPerSuperSlab, std::memory_order_relaxed);
        ss->next = doomed;
        doomed = ss;
      } else {
        ++kept;
      }
      ss = next;
    }
  }
  size_t freed = 0;
  while (doomed != nullptr) {
    SuperSlab* ss = doomed;
    doomed = ss->next;
    auto base = reinterpret_cast<uintptr_t>(ss);
    page_map_clear(base, kSuperSlabSize);
    ss->magic = 0;
    size_t touched = 0;
    for (const SlabMeta& m : ss->slabs) touched += m.touched;
    resident_shrink(touched);
    os::unmap(ss, kSuperSlabSize);
    seg_add(process_counts().pool_releases[kReleaseSUPERSLAB_UNMAPPED], 1);
    freed += kSuperSlabSize;
  }
  return freed;
}

}  // namespace

size_t pool_release_expired(bool force) {
  uint64_t now = os::now_ns();
  return release_empty([&](const SuperSlab* ss, uint64_t) {
    return force || decayed(ss->empty_since_ns, now);
  });
}

size_t pool_release_beyond(uint64_t keep) {
  if (g_empty_count.load(std::memory_order_relaxed) <= keep) return 0;
  return release_empty([&](const SuperSlab*, uint64_t kept) { return kept >= keep; });
}


}  // namespace hakmem
