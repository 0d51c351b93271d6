// Process-wide map from 2 MiB chunk to what HAKMEM keeps there. It is what makes free() of a
// foreign pointer detectable without touching it: a pointer is dereferenced only after the
// map says its chunk is ours.
//
// Two levels over the 47-bit user address space: 2^12 roots (static) of 2^14 one-byte
// entries (mapped on first use, installed by CAS, never freed). Readers are lock-free; an
// entry is set before the chunk is handed out and cleared before it is unmapped.
#pragma once
#include <atomic>
#include <cstdint>

#include "constants.h"

namespace hakmem {

enum ChunkKind : uint8_t {
  kChunkNone = 0,
  kChunkSuperSlab = 1,
  kChunkLargeHead = 2,   // first chunk of a large span: its header is at the chunk base
  kChunkLargeTail = 3,   // later chunks of a large span
};

constexpr unsigned kPageMapLeafBits = 14;
constexpr unsigned kPageMapRootBits = 47 - kSuperSlabShift - kPageMapLeafBits;   // 12

extern std::atomic<uint8_t*> g_page_map_roots[size_t{1} << kPageMapRootBits];

inline ChunkKind chunk_kind(uintptr_t addr) {
  if ((addr >> 47) != 0) return kChunkNone;
  uint8_t* leaf = g_page_map_roots[addr >> (kSuperSlabShift + kPageMapLeafBits)].load(
      std::memory_order_acquire);
  if (leaf == nullptr) return kChunkNone;
  return static_cast<ChunkKind>(
      reinterpret_cast<std::atomic<uint8_t>*>(leaf)[(addr >> kSuperSlabShift) &
                                                    ((1u << kPageMapLeafBits) - 1)]
          .load(std::memory_order_relaxed));
}

// Marks every chunk of [base, base + bytes) (base chunk-aligned). Returns false if a leaf
// could not be mapped; nothing is marked then.
bool page_map_set(uintptr_t base, size_t bytes, ChunkKind first, ChunkKind rest);
void page_map_clear(uintptr_t base, size_t bytes);

}  // namespace hakmem
