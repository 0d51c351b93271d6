// Compile-time geometry of the allocator. Everything that shifts or masks addresses derives
// from these, so the invariants below are checked once here.
#pragma once
#include <cstddef>
#include <cstdint>

#include "hakmem/hakmem.h"

namespace hakmem {

constexpr size_t kPageSize = 4096;
constexpr uint32_t kCacheLine = 64;
constexpr unsigned kSuperSlabShift = 21;                        // 2 MiB
constexpr size_t kSuperSlabSize = size_t{1} << kSuperSlabShift;
constexpr uintptr_t kSuperSlabMask = kSuperSlabSize - 1;
constexpr unsigned kSlabShift = 16;                             // 64 KiB slabs
constexpr size_t kSlabSize = size_t{1} << kSlabShift;
constexpr unsigned kSlabsPerSuperSlab = kSuperSlabSize / kSlabSize;   // 32
// The SuperSlab header occupies the start of slab 0; every slab's data starts page-aligned,
// which is what lets aligned requests up to a page use the power-of-two classes.
constexpr size_t kSuperSlabHeaderSize = 8192;

constexpr unsigned kNumClasses = HAK_NUM_CLASSES;
constexpr size_t kMaxSmallSize = HAK_MAX_SMALL_SIZE;
constexpr size_t kMinAlign = 16;
// Requests above this are refused outright, so size arithmetic below cannot overflow.
constexpr size_t kMaxRequest = size_t{1} << 46;

constexpr unsigned kNumPaths = HAK_NUM_PATHS;
constexpr unsigned kNumLocks = HAK_NUM_LOCKS;
// Large arenas are split into shards, each with its own large_arena lock, so that threads
// allocating large blocks side by side do not queue on one lock (large/arena_runs.cc).
constexpr unsigned kArenaShards = 4;

// sizeof(ClassCache) (small/thread_cache.h, which asserts it): the size tables and slabs
// precompute class-cache offsets with it, below the layer that defines the struct.
constexpr size_t kClassCacheBytes = 32;

// n rounded up to a multiple of `to` (a power of two).
constexpr size_t round_up(size_t n, size_t to) { return (n + to - 1) & ~(to - 1); }

static_assert(kSlabsPerSuperSlab == 32, "free-slab masks are 32-bit");
static_assert(kMaxSmallSize * 2 <= kSlabSize, "a slab holds at least two blocks of any class");

}  // namespace hakmem
