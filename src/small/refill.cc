// Refill and flush. A refill gathers up to half the class cache's capacity (ramping up to it,
// see refill_want), trying the paths cheapest first and stopping at the first slab that yields
// anything:
//   bound slab: slab_local -> remote_drain
//   if they gave nothing, a slab with freed blocks: partial_slab (own) -> adopt (an idle heap's)
//   bound slab: virgin_carve (not when they gave some and an own slab with freed blocks waits)
//   then a new bound slab: partial_slab -> adopt -> pool_slab -> new_superslab
// Blocks from a slab that was just bound are credited to the path that produced the slab.
// Each path is one list operation or a bounded scan (HAKMEM_PARTIAL_SCAN): no unbounded walk.
// Before the pool or the OS, a refill takes back slabs idle heaps hold empty (reclaim.h).
// Refill and flush hold the heap's lock (heap.h) throughout.
#include "small/refill.h"

#include "base/size_classes.h"
#include "counters/segment_storage.h"
#include "small/cache_capacity.h"
#include "small/orphans.h"
#include "small/reclaim.h"
#include "small/remote_list.h"
#include "small/shared_pool.h"
#include "small/slab.h"
#include "small/heap.h"
#include "support/env_config.h"
#include "support/invariant.h"

namespace hakmem {
namespace {

struct Gather {
  ThreadCache& tc;
  unsigned cls;
  BlockChain chain;
  uint32_t objects[kNumPaths] = {};
  void credit(unsigned path, uint32_t n) { objects[path] += n; }
  // How long a list of a slab may be to be taken whole (slab.h), unwalked: what the cache has
  // room for, after growing its capacity to hold a list of `listed` blocks if need be
  // (cache_capacity.h). Walking a list that another core wrote is a miss per block, one after
  // the other; the same blocks in the cache are loaded as they are handed out.
  uint32_t whole(uint32_t listed) {
    if (listed == 0 || !chain.can_append()) return 0;
    ClassCache& cc = tc.cls[cls];
    uint32_t held = cache_count(cc) + chain.count;
    if (held + listed > cc.cap) grow_cache_cap_to(tc, cls, held + listed);
    return cc.cap > held ? cc.cap - held : 0;
  }
};

// Blocks to gather: a page's worth at a heap's first refill of a class, doubling at each
// refill up to half the cache. Carving touches every block it hands out, so a program that
// uses a class a little keeps a page of it resident, not half a cache (up to 32 KiB); a busy
// class reaches full batches within a few refills.
uint32_t refill_want(ClassSlabs* cs, const ClassCache& cc, unsigned cls) {
  uint32_t full = cc.cap > 1 ? cc.cap / 2 : 1;
  uint32_t w = cs->want != 0 ? cs->want * 2 : static_cast<uint32_t>(kPageSize / class_size_of(cls));
  if (w > full) w = full;
  if (w == 0) w = 1;
  cs->want = w;
  return w;
}

// Of n never-used blocks of m a refill wants, those it carves: at most HAKMEM_CARVE_BYTES of
// them (at least one block). Carving writes every block, so the rest of a big batch would be
// resident before the program needs it: at the peak of a class's live count, that rest is
// memory no other class can use. Refills from free lists are not limited: their blocks are
// resident already.
uint32_t carve_limit(const SlabMeta* m, uint32_t n, const Config& cfg) {
  if (cfg.carve_bytes == 0) return n;
  uint32_t most = cfg.carve_bytes / m->obj_size;
  if (most == 0) most = 1;
  return n < most ? n : most;
}

// Takes what the bound slab m can give, its never-used blocks only with `carve`; `path` is
// kPathSLAB_LOCAL for a slab bound before this refill, otherwise the path that just produced m.
void take_from(SlabMeta* m, Gather* g, uint32_t want, unsigned path, const Config& cfg,
               bool carve = true) {
  bool bound_before = path == kPathSLAB_LOCAL;
  if (cfg.slab_local != 0 || !bound_before) {
    uint32_t whole = m->free_list != nullptr ? g->whole(slab_free_count(m)) : 0;
    g->credit(path, slab_take_local(m, &g->chain, want - g->chain.count, whole));
  }
  if (g->chain.count < want && (cfg.remote_drain != 0 || !bound_before)) {
    // The count may grow before the drain takes the list: then it is walked.
    uint32_t whole = g->whole(remote_list_count(m->remote_head.load(std::memory_order_relaxed)));
    g->credit(bound_before ? kPathREMOTE_DRAIN : path,
              remote_drain(m, &g->chain, want - g->chain.count, whole));
  }
  if (carve && g->chain.count < want) {
    g->credit(bound_before ? kPathVIRGIN_CARVE : path,
              slab_carve(m, &g->chain, carve_limit(m, want - g->chain.count, cfg)));
  }
}

// Scans at most partial_scan owned slabs from the front; misses rotate to the back, so slabs
// that only regained remotely freed blocks are found within a few refills.
SlabMeta* find_partial(ClassSlabs* cs, unsigned budget) {
  for (; budget > 0 && cs->head != nullptr; --budget) {
    SlabMeta* m = cs->head;
    owned_unlink(cs, m);
    if (slab_has_free(m)) return m;
    owned_push_back(cs, m);
  }
  return nullptr;
}

// The front of h's owned slabs of cls once the ready slabs are moved there, if it holds blocks
// freed back to it (its free or remote list): one look, no scan. nullptr otherwise.
SlabMeta* freed_owned_slab(ThreadHeap* h, unsigned cls, const Config& cfg) {
  if (cfg.partial_scan == 0) return nullptr;
  remote_ready_collect(h, cls);
  SlabMeta* m = h->slabs[cls].head;
  if (m == nullptr ||
      (m->free_list == nullptr && m->remote_head.load(std::memory_order_relaxed) == 0)) {
    return nullptr;
  }
  return m;
}

SlabMeta* next_slab(ThreadHeap* h, unsigned cls, unsigned* path, const Config& cfg) {
  ClassSlabs* cs = &h->slabs[cls];
  remote_ready_collect(h, cls);
  if (cfg.partial_scan != 0) {
    if (SlabMeta* m = find_partial(cs, static_cast<unsigned>(cfg.partial_scan))) {
      *path = kPathPARTIAL_SLAB;
      return m;
    }
  }
  if (cfg.adopt != 0) {
    if (SlabMeta* m = orphan_pop(cls)) {
      m->owner.store(h, std::memory_order_release);
      m->state.store(kSlabOwned, std::memory_order_relaxed);
      *path = kPathADOPT;
      return m;
    }
  }
  if (cfg.adopt != 0 && cfg.steal != 0) {
    if (SlabMeta* m = steal_slab(h, cls, kStealFromAny)) {
      *path = kPathADOPT;
      return m;
    }
  }
  // Only when the heap's own stash is empty: what a reclaim releases goes to the shared pool.
  if (cfg.reclaim != 0 && h->stash_count == 0) reclaim_idle_heaps(h);
  PoolStage stage;
  SlabMeta* m = pool_acquire(h, &stage);
  if (m != nullptr) {
    // A slab the pool held was used before; carved or mapped ones are new (stats_names.h).
    bool fresh = stage == kStageSUPERSLAB_CARVE || stage == kStageNEW_SUPERSLAB;
    *path = fresh ? kPathNEW_SUPERSLAB : kPathPOOL_SLAB;
    slab_bind(m, cls, h, cfg.virgin_carve == 0);
    seg_add(process_counts().slabs_in_use[cls], 1);
  }
  return m;
}

}  // namespace

bool refill(ThreadCache& tc, unsigned cls) {
  const Config& cfg = config();
  ThreadHeap* h = tc.heap;
  HeapGuard lock(h);
  // A refill: the heap is not idle (reclaim.h).
  if (h->ready.idle_mark.load(std::memory_order_relaxed) != 0) {
    h->ready.idle_mark.store(0, std::memory_order_relaxed);
  }
  ClassCache& cc = tc.cls[cls];
  ClassSlabs* cs = &h->slabs[cls];
  uint32_t want = refill_want(cs, cc, cls);
  Gather g{tc, cls, {}, {}};

  // Blocks freed back to a slab of the class are resident already; the bound slab's never-used
  // ones are not. So when the bound slab's lists fall short, a slab with freed blocks comes
  // before carving: this heap's own, or one stolen from a heap not coming for its slabs
  // (parked, or seen idle: reclaim.h); when they gave some, the refill stops short instead of
  // carving while its own such slab waits. Without this, heaps carved and cycled through their
  // own nearly full slabs while idle heaps' slabs filled up with remotely freed blocks
  // (README, Stealing).
  if (SlabMeta* b = cs->bound; b != nullptr) {
    take_from(b, &g, want, kPathSLAB_LOCAL, cfg, false);
    SlabMeta* own = g.chain.count < want ? freed_owned_slab(h, cls, cfg) : nullptr;
    SlabMeta* m = own;
    unsigned path = kPathPARTIAL_SLAB;
    if (m == nullptr && g.chain.count == 0 && cfg.adopt != 0 && cfg.steal != 0) {
      m = steal_slab(h, cls, kStealFromIdle);
      path = kPathADOPT;
    }
    if (m != nullptr && g.chain.count == 0) {
      if (m == own) owned_unlink(cs, m);
      owned_push_back(cs, b);   // any never-used blocks it has wait there (find_partial)
      cs->bound = m;
      take_from(m, &g, want, path, cfg, false);
    } else if (m == nullptr && g.chain.count < want) {
      uint32_t n = carve_limit(b, want - g.chain.count, cfg);
      g.credit(kPathVIRGIN_CARVE, slab_carve(b, &g.chain, n));
    }
  }
  while (g.chain.count == 0) {
    // The bound slab is exhausted for this refill: park it with the other owned slabs.
    if (cs->bound != nullptr) owned_push_back(cs, cs->bound);
    cs->bound = nullptr;
    unsigned path;
    SlabMeta* m = next_slab(h, cls, &path, cfg);
    if (m == nullptr) break;
    cs->bound = m;
    take_from(m, &g, want, path, cfg);
  }
  for (unsigned p = 0; p < kNumPaths; ++p) {
    if (g.objects[p] == 0) continue;
    hak_seg_class_counters& c = h->slot->classes[cls];
    seg_bump(c.refills[p], 1);
    seg_bump(c.refill_objects[p], g.objects[p]);
  }
  if (g.chain.count == 0) return false;
  cs->ran_empty = 1;
  // Every chain ends in nullptr: only a list that still holds blocks needs the tail.
  if (cc.head != nullptr) *static_cast<void**>(g.chain.take_tail()) = cc.head;
  cc.head = g.chain.head;
  cache_add_blocks(cc, g.chain.count);
  HAKMEM_VALIDATE(validate_slab(cs->bound));
  HAKMEM_VALIDATE(validate_cache(cc));
  return true;
}

namespace {

// Gives block b back to its slab. A slab emptied by this leaves h unless bound.
void return_block(ThreadHeap* h, void* b) {
  SlabMeta* m = slab_of(superslab_of(b), b);
  if (m->owner.load(std::memory_order_relaxed) != h) {
    // Stolen while b sat in the cache (reclaim.h): b goes to its new owner like any free.
    remote_push(m, b);
    return;
  }
  bool had_free = m->free_list != nullptr;
  slab_put_local(m, b);
  HAKMEM_VALIDATE(validate_slab(m));
  ClassSlabs* cs = &h->slabs[m->cls];
  if (m == cs->bound) return;
  if (m->used == 0) {
    owned_unlink(cs, m);
    heap_release_empty_slab(h, m);
  } else if (!had_free && m->in_owned_list != 0 && cs->head != m) {
    // It regained free blocks: move it where find_partial looks first.
    owned_unlink(cs, m);
    owned_push_front(cs, m);
  }
}

void flush_n(ThreadCache& tc, unsigned cls, uint32_t n) {
  ClassCache& cc = tc.cls[cls];
  for (; n > 0 && cc.head != nullptr; --n) {
    void* b = cc.head;
    cc.head = *static_cast<void**>(b);
    cache_remove_block(cc);
    return_block(tc.heap, b);
  }
}

}  // namespace

void flush(ThreadCache& tc, unsigned cls) {
  HeapGuard lock(tc.heap);
  if (config().tcache_max_bytes != 0 && adapt_cache_cap(tc, cls)) return;
  // Down to half the (perhaps just shrunk) capacity: room for as many frees as refills.
  ClassCache& cc = tc.cls[cls];
  uint32_t keep = cc.cap > 1 ? cc.cap / 2 : 0;
  uint32_t count = cache_count(cc);
  flush_n(tc, cls, count > keep ? count - keep : 1);
}

void flush_all_locked(ThreadCache& tc, unsigned cls) { flush_n(tc, cls, cache_count(tc.cls[cls])); }

}  // namespace hakmem
