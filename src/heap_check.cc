// The validators behind HAKMEM_VALIDATE. They walk lists, so they are for debug builds only.
#include "heap_check.h"

#include <stdlib.h>
#include <unistd.h>

#include "slab.h"
#include "telemetry/thread_counts.h"
#include "text_buffer.h"

namespace hakmem {

void invariant_broken(const char* what, const void* where, uint64_t a, uint64_t b) {
  char storage[256];
  TextBuffer t(storage, sizeof storage);
  t.str("hakmem: invariant broken at ").hex(reinterpret_cast<uintptr_t>(where)).str(": ");
  t.str(what).kv("have", a).kv("want", b).str("\n");
  t.flush_to(STDERR_FILENO);
  abort();
}

void validate_slab(const SlabMeta* m) {
  uint64_t free_blocks = 0;
  for (const void* b = m->free_list; b != nullptr; b = *static_cast<void* const*>(b)) {
    if (!slab_is_block_start(m, b)) invariant_broken("free-list entry outside the slab", b, 0, 0);
    if (++free_blocks > m->capacity) invariant_broken("free list longer than the slab", m, free_blocks, m->capacity);
  }
  uint64_t virgin = static_cast<uint64_t>(m->limit - m->virgin) / m->obj_size;
  uint64_t total = m->used + free_blocks + virgin;
  // A drain may consume the count of a block pushed after it took the chain (see
  // slab_drain_remote): until a later drain takes that block, `used` is low by it. With the
  // remote list empty no such block is pending, and `used` can only lag high.
  if (m->remote_head.load(std::memory_order_acquire) == nullptr && total < m->capacity)
    invariant_broken("used + free + virgin < capacity", m, total, m->capacity);
}

void validate_cache(const ClassCache& cc) {
  uint64_t n = 0;
  for (const void* b = cc.head; b != nullptr && n <= cc.cap; b = *static_cast<void* const*>(b)) ++n;
  if (n != cache_count(cc)) invariant_broken("cache count != list length", &cc, n, cache_count(cc));
  if (cache_count(cc) > cc.cap) invariant_broken("cache over capacity", &cc, cache_count(cc), cc.cap);
}

}  // namespace hakmem
