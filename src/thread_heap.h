// Thread lifecycle: the TLS cache, its heap, the registry of live heaps, and teardown.
// A thread's cache starts in kCacheNew (cap 0, so every fast path misses); the first slow
// path creates its heap. At thread exit (a pthread key destructor) the cache is flushed, the
// heap's slabs are released or orphaned, its counters retired, and the cache goes to
// kCacheTornDown: later calls from that thread (other TLS destructors) use the global heap
// under its lock.
#pragma once
#include <cstddef>

#include "types.h"

namespace hakmem {

extern __thread ThreadCache t_cache __attribute__((tls_model("initial-exec")));
extern ThreadCache g_global_cache;   // guarded by the global_heap lock

// Makes sure allocator globals exist (config, secret, key, atfork). Idempotent, cheap after.
void ensure_initialized();
// Creates the calling thread's heap if its cache is new: `prefer` if it is parked, else the
// newest parked heap, else a new one. A thread whose first call frees a block prefers the
// block's heap, so a worker that inherits its exited predecessor's blocks (a thread pool, or
// Larson's lanes) frees them locally. Returns false when the thread must use the global heap
// (torn down, or no memory for a heap).
bool thread_cache_ready(const ThreadHeap* prefer = nullptr);
// Computes the per-class capacities from the config.
void set_cache_caps(ThreadCache& tc);
// Parked heaps (HAKMEM_PARK_HEAPS): dissolves those parked longer than the decay (all when
// force), so their memory can be reused or returned. Returns how many were dissolved.
size_t release_expired_parked(bool force);
bool parked_heaps_pending();
uint64_t parked_heap_count();

// The registry of live heaps (the global heap included), walked by stats under its lock.
// After fork() the child keeps the forking thread's heap; other threads' heaps stay
// registered (their slabs keep their owners; blocks freed into them go to their remote lists).
void registry_lock();
void registry_unlock();
ThreadHeap* registry_first();

}  // namespace hakmem
