// See release.h.
#include "core/release.h"

#include <cstdint>

#include "core/fast_path.h"
#include "large/large.h"
#include "small/cache_capacity.h"
#include "small/heap.h"
#include "small/orphans.h"
#include "small/refill.h"
#include "small/shared_pool.h"
#include "small/thread_cache.h"
#include "small/thread_heap.h"
#include "sync/background.h"
#include "sync/lock.h"

namespace hakmem {
namespace {

// Empty SuperSlabs a program without a helper keeps for reuse; beyond them, the oldest goes
// back at once (memreturn with main alone: 473 MiB left resident while idle without the bound).
constexpr uint64_t kReserveWithoutHelper = 4;

bool pending() { return pool_has_empty() || large_pending() || parked_heaps_pending(); }
void release_decayed() { release_expired(false); }
void bound_reserve() { pool_release_beyond(kReserveWithoutHelper); }
// Not an application thread: were anything on the helper to allocate, the global heap would
// serve it and the thread would never be counted.
void enter_helper() { t_cache.state = kCacheTornDown; }

}  // namespace

size_t trim_now() {
  if (thread_cache_ready()) {
    remote_outbox_flush(t_cache);   // before the lock: a double free's confirmation takes it
    ThreadHeap* h = t_cache.heap;
    HeapGuard g(h);
    for (unsigned cls = 0; cls < kNumClasses; ++cls) {
      flush_all_locked(t_cache, cls);
      SlabMeta* bound = h->slabs[cls].bound;
      if (bound != nullptr && bound->used == 0) {
        h->slabs[cls].bound = nullptr;
        heap_release_empty_slab(h, bound);
      }
    }
    reset_cache_caps(t_cache);   // grown capacities are earned again by reuse
    orphans_reclaim(h);
    pool_return_heap_reserve(h);
    large_flush_local(&h->large);
  }
  return release_expired(true);
}

bool release_has_idle() { return pending(); }

void release_register_background() {
  background_set_work(BackgroundWork{pending, release_decayed, bound_reserve, enter_helper});
}

size_t release_expired(bool force) {
  size_t released = release_expired_parked(force) != 0 ? 1 : 0;
  released += pool_release_expired(force);
  released += large_release_expired(force);
  return released;
}

}  // namespace hakmem
