// Process-wide map from 2 MiB chunk to what HAKMEM keeps there. It is what makes free() of a
// foreign pointer detectable without touching it: a pointer is dereferenced only after the
// map says its chunk is ours.
//
// One byte per chunk of the 47-bit user address space: 2^26 bytes in .bss. The kernel maps
// those zero pages lazily, so the map costs 64 MiB of address space but only a page of memory
// per 8 GiB of address range in use; and being static, it needs no initialisation before the
// first free. An entry is set before its chunk is handed out and cleared before it is unmapped.
#pragma once
#include <atomic>
#include <cstdint>

#include "base/constants.h"

namespace hakmem {

enum ChunkKind : uint8_t {
  kChunkNone = 0,
  kChunkSuperSlab = 1,
  kChunkLargeHead = 2,   // first chunk of a large span: its header is at the chunk base
  kChunkLargeTail = 3,   // later chunks of a large span
  kChunkLargeArena = 4,  // every chunk of a large arena: its header is at the arena base
};

constexpr unsigned kPageMapBits = 47 - kSuperSlabShift;   // 26
constexpr uintptr_t kPageMapEntries = uintptr_t{1} << kPageMapBits;

extern std::atomic<uint8_t> g_page_map[kPageMapEntries];

inline ChunkKind chunk_kind(uintptr_t addr) {
  uintptr_t chunk = addr >> kSuperSlabShift;
  if (chunk >= kPageMapEntries) return kChunkNone;
  return static_cast<ChunkKind>(g_page_map[chunk].load(std::memory_order_relaxed));
}

// Marks every chunk of [base, base + bytes) (base chunk-aligned). Returns false, marking
// nothing, if the range leaves the mapped address space.
bool page_map_set(uintptr_t base, size_t bytes, ChunkKind first, ChunkKind rest);
void page_map_clear(uintptr_t base, size_t bytes);

}  // namespace hakmem
