// Page-map leaves are mapped lazily; a lost install race unmaps the loser's leaf.
#include "page_map.h"

#include "os/os.h"

namespace hakmem {

std::atomic<uint8_t*> g_page_map_roots[size_t{1} << kPageMapRootBits];

namespace {

constexpr size_t kLeafBytes = size_t{1} << kPageMapLeafBits;

std::atomic<uint8_t>* leaf_for(uintptr_t addr, bool create) {
  auto& root = g_page_map_roots[addr >> (kSuperSlabShift + kPageMapLeafBits)];
  uint8_t* leaf = root.load(std::memory_order_acquire);
  if (leaf == nullptr && create) {
    auto* fresh = static_cast<uint8_t*>(os::map(kLeafBytes));
    if (fresh == nullptr) return nullptr;
    if (root.compare_exchange_strong(leaf, fresh, std::memory_order_acq_rel)) {
      leaf = fresh;
    } else {
      os::unmap(fresh, kLeafBytes);
    }
  }
  return reinterpret_cast<std::atomic<uint8_t>*>(leaf);
}

size_t leaf_index(uintptr_t addr) {
  return (addr >> kSuperSlabShift) & ((size_t{1} << kPageMapLeafBits) - 1);
}

}  // namespace

bool page_map_set(uintptr_t base, size_t bytes, ChunkKind first, ChunkKind rest) {
  uintptr_t end = base + bytes;
  if ((end - 1) >> 47 != 0) return false;
  for (uintptr_t a = base; a < end; a += kSuperSlabSize) {
    if (leaf_for(a, true) == nullptr) return false;
  }
  for (uintptr_t a = base; a < end; a += kSuperSlabSize) {
    leaf_for(a, false)[leaf_index(a)].store(a == base ? first : rest, std::memory_order_release);
  }
  return true;
}

void page_map_clear(uintptr_t base, size_t bytes) {
  for (uintptr_t a = base; a < base + bytes; a += kSuperSlabSize) {
    std::atomic<uint8_t>* leaf = leaf_for(a, false);
    if (leaf != nullptr) leaf[leaf_index(a)].store(kChunkNone, std::memory_order_release);
  }
}

}  // namespace hakmem
