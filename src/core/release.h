// Returning idle memory to the OS, for the whole allocator: parked heaps, empty SuperSlabs of
// the shared pool, cached large spans and free arena pages. The background helper
// (sync/background.h) decides when, malloc_trim forces it now; this file says what.
#pragma once
#include <cstddef>

namespace hakmem {

// Gives the background helper its work; init calls it before anything can be pending.
void release_register_background();
// Releases what has decayed (everything idle when force): parked heaps first, so that their
// slabs reach the pool and the pool's empty SuperSlabs reach the OS in the same call.
// Returns the bytes given back, plus 1 if any heap was dissolved.
size_t release_expired(bool force);
// malloc_trim, and an allocation the OS refused (retried once after it): the calling
// thread's cached blocks go back to their slabs (capacities back to their base), its emptied
// slabs, arena runs and orphans' blocks go home, then everything idle is released at once.
// Never with the global heap lock held. Returns release_expired(true)'s result.
size_t trim_now();
// Something idle waits for its decay (empty SuperSlabs, cached spans or free arena runs,
// parked heaps): what trim_now could give back besides the calling thread's caches.
bool release_has_idle();

}  // namespace hakmem
