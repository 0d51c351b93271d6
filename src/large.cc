// Large spans and their cache. The cache is a singly linked list under the large_cache lock,
// newest first; a hit takes the smallest span that fits without wasting more than a quarter.
#include "large.h"

#include <cerrno>
#include <cstring>

#include <atomic>

#include "constants.h"
#include "env_config.h"
#include "lock.h"
#include "os/os.h"
#include "page_map.h"

namespace hakmem {
namespace {

LargeHeader* g_cache;
size_t g_cache_bytes;
std::atomic<uint64_t> g_allocs{0};
std::atomic<uint64_t> g_frees{0};
std::atomic<uint64_t> g_live{0};

size_t round_up(size_t n, size_t to) { return (n + to - 1) & ~(to - 1); }

LargeHeader* cache_take(size_t need) {
  if (__atomic_load_n(&g_cache, __ATOMIC_RELAXED) == nullptr) return nullptr;
  LockGuard g(lock_of(kLockLARGE_CACHE));
  LargeHeader** best = nullptr;
  for (LargeHeader** link = &g_cache; *link != nullptr; link = &(*link)->cache_next) {
    size_t sz = (*link)->map_size;
    if (sz >= need && sz - need <= need / 4 && (best == nullptr || sz < (*best)->map_size)) {
      best = link;
    }
  }
  if (best == nullptr) return nullptr;
  LargeHeader* h = *best;
  *best = h->cache_next;
  g_cache_bytes -= h->map_size;
  return h;
}

void unmap_span(LargeHeader* h) {
  size_t bytes = h->map_size;
  auto base = reinterpret_cast<uintptr_t>(h);
  page_map_clear(base, bytes);
  h->magic = 0;
  os::unmap(h, bytes);
}

// Takes spans out of the cache until it fits its budget, oldest (at the tail) first.
LargeHeader* evict_locked(size_t budget) {
  LargeHeader* doomed = nullptr;
  while (g_cache_bytes > budget && g_cache != nullptr) {
    LargeHeader** link = &g_cache;
    while ((*link)->cache_next != nullptr) link = &(*link)->cache_next;
    LargeHeader* h = *link;
    *link = nullptr;
    g_cache_bytes -= h->map_size;
    h->cache_next = doomed;
    doomed = h;
  }
  return doomed;
}

void unmap_list(LargeHeader* list) {
  while (list != nullptr) {
    LargeHeader* next = list->cache_next;
    unmap_span(list);
    list = next;
  }
}

}  // namespace

void* large_alloc(size_t size, size_t align, bool zero) {
  size_t offset = align > kLargeHeaderSize ? align : kLargeHeaderSize;
  if (size > kMaxRequest || offset > kMaxRequest) {
    errno = ENOMEM;
    return nullptr;
  }
  size_t need = round_up(offset + size, kPageSize);
  LargeHeader* h = cache_take(need);
  if (h != nullptr && zero) {
    // Discarding beats memset for big spans: the pages come back zeroed and untouched.
    size_t skip = kPageSize;   // the header page stays
    os::discard(reinterpret_cast<char*>(h) + skip, h->map_size - skip);
    memset(reinterpret_cast<char*>(h) + kLargeHeaderSize, 0, skip - kLargeHeaderSize);
  }
  if (h == nullptr) {
    void* mem = os::map_aligned(need, kSuperSlabSize);
    if (mem == nullptr) {
      errno = ENOMEM;
      return nullptr;
    }
    if (!page_map_set(reinterpret_cast<uintptr_t>(mem), need, kChunkLargeHead, kChunkLargeTail)) {
      os::unmap(mem, need);
      errno = ENOMEM;
      return nullptr;
    }
    h = static_cast<LargeHeader*>(mem);
    h->map_size = need;
    h->magic = kLargeMagic ^ reinterpret_cast<uintptr_t>(h);
  }
  h->user = reinterpret_cast<char*>(h) + offset;
  h->usable = h->map_size - offset;
  h->cache_next = nullptr;
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  g_live.fetch_add(h->usable, std::memory_order_relaxed);
  return h->user;
}

void large_free(LargeHeader* h) {
  g_frees.fetch_add(1, std::memory_order_relaxed);
  g_live.fetch_sub(h->usable, std::memory_order_relaxed);
  h->user = nullptr;
  size_t budget = config().large_cache_mb << 20;
  if (h->map_size > budget) {
    unmap_span(h);
    return;
  }
  h->cached_at_ns = os::now_ns();
  LargeHeader* doomed;
  {
    LockGuard g(lock_of(kLockLARGE_CACHE));
    h->cache_next = g_cache;
    g_cache = h;
    g_cache_bytes += h->map_size;
    doomed = evict_locked(budget);
  }
  unmap_list(doomed);
}

LargeHeader* large_header_of(const void* p, const char** reason) {
  auto a = reinterpret_cast<uintptr_t>(p);
  uintptr_t chunk = a & ~kSuperSlabMask;
  ChunkKind kind = chunk_kind(chunk);
  while (kind == kChunkLargeTail) {
    chunk -= kSuperSlabSize;
    kind = chunk_kind(chunk);
  }
  if (kind != kChunkLargeHead) {
    *reason = "not allocated by hakmem";
    return nullptr;
  }
  auto* h = reinterpret_cast<LargeHeader*>(chunk);
  if (h->magic != (kLargeMagic ^ chunk)) {
    *reason = "corrupt large header";
    return nullptr;
  }
  if (a >= chunk + h->map_size) {
    *reason = "not allocated by hakmem";
    return nullptr;
  }
  if (h->user == nullptr) {
    *reason = "double free";
    return nullptr;
  }
  if (reinterpret_cast<char*>(a) != h->user) {
    *reason = "interior pointer";
    return nullptr;
  }
  return h;
}

size_t large_cache_release_expired(bool force) {
  if (__atomic_load_n(&g_cache, __ATOMIC_RELAXED) == nullptr) return 0;
  uint64_t now = os::now_ns();
  uint64_t decay = config().decay_ms * 1000000ull;
  LargeHeader* doomed = nullptr;
  size_t bytes = 0;
  {
    LockGuard g(lock_of(kLockLARGE_CACHE));
    for (LargeHeader** link = &g_cache; *link != nullptr;) {
      LargeHeader* h = *link;
      if (force || now - h->cached_at_ns >= decay) {
        *link = h->cache_next;
        g_cache_bytes -= h->map_size;
        bytes += h->map_size;
        h->cache_next = doomed;
        doomed = h;
      } else {
        link = &h->cache_next;
      }
    }
  }
  unmap_list(doomed);
  return bytes;
}

LargeStats large_stats() {
  return LargeStats{g_allocs.load(std::memory_order_relaxed), g_frees.load(std::memory_order_relaxed),
                    g_live.load(std::memory_order_relaxed)};
}

}  // namespace hakmem
