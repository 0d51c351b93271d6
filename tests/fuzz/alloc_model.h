// The model alloc_fuzz holds the allocator against: every live block with its request, the
// pattern it was filled with, and the counts the allocator's telemetry must show for the
// operations made. Invariants, checked as blocks come and go:
//   - no two live blocks overlap: the intervals [p, p + usable) in `spans_` are disjoint;
//   - a block's bytes are its pattern (pattern_at(id, off)) from its fill to its free;
//   - expected.allocs[c] - expected.frees[c] == live blocks of class c (large: class -1).
// Big blocks are filled and checked at sampled offsets only (the first and last 4 KiB and
// one byte per 64 KiB), so a 12 MiB block costs a few hundred page faults, not 3072 and a
// full pass.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "hakmem/hakmem.h"

namespace alloc_fuzz {

[[noreturn]] inline void fail(const char* what, uint64_t a = 0, uint64_t b = 0) {
  fprintf(stderr, "alloc_fuzz: %s (%llu, %llu)\n", what, static_cast<unsigned long long>(a),
          static_cast<unsigned long long>(b));
  abort();
}
inline void require(bool ok, const char* what, uint64_t a = 0, uint64_t b = 0) {
  if (!ok) fail(what, a, b);
}

struct Block {
  unsigned char* p;
  size_t request;
  size_t usable;
  size_t align;  // what the call promised (16 for the plain ones)
  int cls;       // -1: a large block
  uint32_t id;   // selects the pattern
};

struct Counts {
  uint64_t allocs[HAK_NUM_CLASSES] = {};
  uint64_t frees[HAK_NUM_CLASSES] = {};
  uint64_t remote_frees[HAK_NUM_CLASSES] = {};
  uint64_t large_allocs = 0, large_frees = 0;
};

class Model {
 public:
  static constexpr size_t kDense = 64 << 10;  // blocks up to this size are checked byte for byte
  static constexpr size_t kStride = 64 << 10;  // and bigger ones at every kStride-th byte

  Model() {
    uint32_t x = 0x9e3779b9u;
    for (auto& b : table_) b = static_cast<unsigned char>((x = x * 1664525u + 1013904223u) >> 24);
  }

  unsigned char pattern_at(uint32_t id, size_t off) const { return table_[(off + id * 2654435761u) & kMask]; }

  // Writes the pattern over [0, request) (sampled for big blocks).
  void fill(const Block& b) const {
    if (b.request <= kDense) return fill_range(b, 0, b.request);
    fill_range(b, 0, 4096);
    fill_range(b, b.request - 4096, b.request);
    for (size_t off = 4096; off < b.request; off += kStride) b.p[off] = pattern_at(b.id, off);
  }
  // The bytes of [0, limit) that fill(request) wrote hold the pattern.
  void verify(const Block& b, size_t limit, const char* when) const {
    auto check = [&](size_t off) {
      if (off < limit && b.p[off] != pattern_at(b.id, off)) fail(when, b.id, off);
    };
    if (b.request <= kDense) {
      for (size_t off = 0; off < limit && off < b.request; ++off) check(off);
      return;
    }
    for (size_t off = 0; off < 4096; ++off) check(off);
    for (size_t off = b.request - 4096; off < b.request; ++off) check(off);
    for (size_t off = 4096; off < b.request; off += kStride) check(off);
  }

  // A block the allocator handed out: checks it against the live ones and records it.
  void add(const Block& b) {
    require(reinterpret_cast<uintptr_t>(b.p) % b.align == 0, "alignment not honoured",
            reinterpret_cast<uintptr_t>(b.p), b.align);
    check_size(b);
    insert_span(b);
    blocks_.push_back(b);
    if (b.cls >= 0) ++expected.allocs[b.cls];
    else ++expected.large_allocs;
    live_bytes_ += b.usable;
  }
  // Takes block i out of the model (verified), counting its free.
  Block take(size_t i, bool remote, bool check = true) {
    Block b = blocks_[i];
    if (check) verify(b, b.request, "a live block's contents changed");
    blocks_[i] = blocks_.back();
    blocks_.pop_back();
    spans_.erase(reinterpret_cast<uintptr_t>(b.p));
    forget(b, remote);
    return b;
  }
  // A realloc that kept the block where it was: only its request and usable size change.
  void resized(size_t i, size_t request, size_t usable) {
    Block& b = blocks_[i];
    live_bytes_ += usable - b.usable;
    b.request = request;
    b.usable = usable;
    check_size(b);
    spans_.erase(reinterpret_cast<uintptr_t>(b.p));
    insert_span(b);
  }
  void forget(const Block& b, bool remote) {
    if (b.cls >= 0) {
      ++expected.frees[b.cls];
      if (remote) ++expected.remote_frees[b.cls];
    } else {
      ++expected.large_frees;
    }
    live_bytes_ -= b.usable;
  }

  size_t live() const { return blocks_.size(); }
  const Block& block(size_t i) const { return blocks_[i]; }
  size_t live_bytes() const { return live_bytes_; }
  uint32_t next_id() { return ++ids_; }

  Counts expected;

 private:
  static constexpr size_t kMask = 8191;
  static void check_size(const Block& b) {
    require(b.usable >= b.request, "usable size below the request", b.usable, b.request);
    if (b.cls >= 0) require(b.usable == hak_class_size(b.cls), "usable size is not the class size", b.usable, b.cls);
  }
  void insert_span(const Block& b) {
    auto start = reinterpret_cast<uintptr_t>(b.p), end = start + b.usable;
    auto next = spans_.lower_bound(start);
    require(next == spans_.end() || next->first >= end, "overlaps the next live block", start, next->first);
    if (next != spans_.begin()) require(std::prev(next)->second <= start, "overlaps the previous live block", start);
    spans_[start] = end;
  }
  void fill_range(const Block& b, size_t lo, size_t hi) const {
    for (size_t off = lo; off < hi; ++off) b.p[off] = pattern_at(b.id, off);
  }
  unsigned char table_[kMask + 1];
  std::vector<Block> blocks_;
  std::map<uintptr_t, uintptr_t> spans_;  // start -> end of each live block
  size_t live_bytes_ = 0;
  uint32_t ids_ = 0;
};

}  // namespace alloc_fuzz
