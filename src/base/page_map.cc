// The page map's writers. Stores are release so that a reader that finds an entry also finds
// the header its owner wrote before publishing it.
#include "base/page_map.h"

namespace hakmem {

std::atomic<uint8_t> g_page_map[kPageMapEntries];

bool page_map_set(uintptr_t base, size_t bytes, ChunkKind first, ChunkKind rest) {
  uintptr_t end = base + bytes;
  if (end < base || ((end - 1) >> kSuperSlabShift) >= kPageMapEntries) return false;
  for (uintptr_t a = base; a < end; a += kSuperSlabSize) {
    g_page_map[a >> kSuperSlabShift].store(a == base ? first : rest, std::memory_order_release);
  }
  return true;
}

void page_map_clear(uintptr_t base, size_t bytes) {
  for (uintptr_t a = base; a < base + bytes; a += kSuperSlabSize) {
    g_page_map[a >> kSuperSlabShift].store(kChunkNone, std::memory_order_release);
  }
}

}  // namespace hakmem
