// libFuzzer target for the allocator itself, through the hak_* API (so the process keeps
// glibc's malloc, and ASan/UBSan and libFuzzer's coverage instrument the allocator's code):
// the input is a program of hak_* calls. Sizes are drawn at and around the class boundaries,
// page multiples, the arena's 8 MiB limit and beyond (own mappings), with alignments from 1 B
// to 4 MiB; blocks are freed here or by a second thread, which lives for the whole run and is
// drained at the end of every input, so an input always replays the same way.
// Oracles besides the sanitizers (alloc_model.h): contents intact from fill to free (realloc
// keeps the prefix), usable size >= request (== class size for a small block), alignment
// honoured, no two live blocks overlap, documented errno on refused requests, calloc's zeros,
// and after every input the telemetry's per-class allocs, frees and remote frees and the large
// counts moved exactly as the model's operations say. Live memory is capped at 64 MiB.
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "alloc_model.h"
#include "hakmem/hakmem.h"

namespace {

using alloc_fuzz::Block;
using alloc_fuzz::Model;
using alloc_fuzz::require;

constexpr size_t kMaxSmall = HAK_MAX_SMALL_SIZE;
constexpr size_t kPage = 4096;
constexpr size_t kMaxLiveBytes = size_t{64} << 20;
constexpr size_t kMaxOps = 512;

// The input, read forward; past its end every read is 0.
class Bytes {
 public:
  Bytes(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  bool done() const { return at_ >= n_; }
  uint8_t u8() { return at_ < n_ ? d_[at_++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | u8() << 8); }
  uint32_t u32() { return u16() | static_cast<uint32_t>(u16()) << 16; }

 private:
  const uint8_t* d_;
  size_t n_, at_ = 0;
};

// A request size, biased to where the allocator changes behaviour.
size_t pick_size(Bytes& in) {
  uint8_t mode = in.u8();
  int delta = static_cast<int>(mode >> 5) - 3;  // -3 .. +4 bytes from the boundary
  switch (mode & 7) {
    case 0: return in.u8();                                               // tiny, 0 included
    case 1: return hak_class_size(in.u8() % HAK_NUM_CLASSES) + delta;     // class boundaries
    case 2: return (1 + in.u8() % 64) * kPage + delta;                    // page multiples
    case 3: return in.u16() % (kMaxSmall + 64);                           // small and just past
    case 4: return kMaxSmall + in.u32() % (size_t{1} << 20);              // arena runs
    case 5: return (size_t{1} << (12 + in.u8() % 12)) + delta;            // powers of two to 8 MiB
    case 6: return (size_t{8} << 20) + (in.u8() % 9) * kPage - 4 * kPage + delta;  // the 8 MiB edge
    default: return in.u32() % (size_t{12} << 20);                        // anything up to 12 MiB
  }
}

// The class an allocation lands in, as api.cc documents it: the request's own class, or for an
// alignment above 16 B up to a page the smallest class >= max(size, align) whose block size is
// a multiple of the alignment; -1 (a large span) otherwise.
int class_for(size_t size, size_t align) {
  if (align <= 16) return size <= kMaxSmall ? hak_size_to_class(size) : -1;
  if (size > kMaxSmall || align > kPage) return -1;
  size_t want = size > align ? size : align;
  if (want > kMaxSmall) return -1;
  for (int c = hak_size_to_class(want); c < HAK_NUM_CLASSES; ++c)
    if (hak_class_size(c) % align == 0) return c;
  return -1;
}

// The second thread: frees what it is handed, in order. drain() returns once it has freed
// everything handed to it so far.
class RemoteFreer {
 public:
  RemoteFreer() : thread_([this] { run(); }) { thread_.detach(); }
  void push(void* p) {
    std::lock_guard<std::mutex> g(mu_);
    queue_.push_back(p);
    ++pushed_;
    cv_.notify_all();
  }
  void drain() {
    std::unique_lock<std::mutex> g(mu_);
    cv_.wait(g, [this] { return freed_ == pushed_; });
  }

 private:
  void run() {
    std::unique_lock<std::mutex> g(mu_);
    for (;;) {
      cv_.wait(g, [this] { return !queue_.empty(); });
      void* p = queue_.front();
      queue_.pop_front();
      g.unlock();
      hak_free(p);
      g.lock();
      ++freed_;
      cv_.notify_all();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<void*> queue_;
  uint64_t pushed_ = 0, freed_ = 0;
  std::thread thread_;
};

class Run {
 public:
  Run(Bytes& in, RemoteFreer& remote) : in_(in), remote_(remote) {}

  void step() {
    switch (in_.u8() % 12) {
      case 0: case 11: { size_t s = pick_size(in_); return keep(room_for(s) ? hak_malloc(s) : skip(), s, 16, "malloc"); }
      case 1: return calloc_op();
      case 2: return realloc_op();
      case 3: case 4: return free_op();
      case 5: return aligned_op();
      case 6: { size_t s = pick_size(in_); return keep(room_for(s) ? hak_valloc(s) : skip(), s, kPage, "valloc"); }
      case 7: return pvalloc_op();
      case 8: return refused_op();
      case 9: return free_op(true);
      default: if (in_.u8() == 0) hak_malloc_trim(0); return;
    }
  }

  // Frees what is left, half of it from the other thread, and waits for that thread.
  void finish() {
    for (size_t i = 0; model_.live() > 0; ++i) release(model_.live() - 1, i % 2 == 1);
    remote_.drain();
  }

  const Model& model() const { return model_; }

 private:
  bool room_for(size_t size) const { return model_.live_bytes() + size <= kMaxLiveBytes; }

  // Stands for a call not made because the request would pass the live-memory cap.
  void* skip() {
    skipped_ = true;
    return nullptr;
  }

  // Records the block an allocation of `size` returned, promised aligned to `align`.
  void keep(void* p, size_t size, size_t align, const char* what, bool zeroed = false) {
    trace(what, p, size, align);
    if (p == nullptr) {
      require(skipped_, what, size, align);  // a request under the cap must not fail
      skipped_ = false;
      return;
    }
    Block b{static_cast<unsigned char*>(p), size, hak_malloc_usable_size(p), align, class_for(size, align),
            model_.next_id()};
    if (zeroed)
      for (size_t off = 0; off < size; off += (size <= Model::kDense ? 1 : 509))
        require(b.p[off] == 0, "calloc memory not zero", size, off);
    model_.add(b);
    model_.fill(b);
  }

  void calloc_op() {
    size_t size = pick_size(in_);
    size_t n = 1 + in_.u8() % 8;
    if (!room_for(size)) return;
    keep(hak_calloc(n, size / n), n * (size / n), 16, "calloc", true);
  }

  void aligned_op() {
    size_t align = size_t{1} << (in_.u8() % 23);  // 1 B .. 4 MiB
    size_t size = pick_size(in_);
    if (!room_for(size + align)) return;
    size_t promised = align < 16 ? 16 : align;
    switch (in_.u8() % 3) {
      case 0: {
        void* out = nullptr;
        int rc = hak_posix_memalign(&out, align, size);
        if (align < sizeof(void*)) return require(rc == EINVAL && out == nullptr, "posix_memalign: bad alignment accepted");
        require(rc == 0, "posix_memalign failed", size, align);
        return keep(out, size, promised, "posix_memalign");
      }
      case 1: return keep(hak_aligned_alloc(align, size), size, promised, "aligned_alloc");
      default: {
        // memalign rounds any alignment up to a power of two.
        size_t odd = align > 16 ? align - in_.u8() % (align / 2) : align;
        return keep(hak_memalign(odd, size), size, promised, "memalign");
      }
    }
  }

  void pvalloc_op() {
    size_t size = pick_size(in_);
    size_t rounded = size == 0 ? kPage : (size + kPage - 1) & ~(kPage - 1);
    if (!room_for(rounded)) return;
    keep(hak_pvalloc(size), rounded, kPage, "pvalloc");
  }

  // Requests the allocator must refuse, leaving everything as it was.
  void refused_op() {
    uint8_t k = in_.u8();
    size_t huge = (size_t{1} << (47 + k % 17)) - (k & 1);  // 2^47 - 1 .. 2^63
    errno = 0;
    switch (k % 6) {
      case 0: require(hak_malloc(huge) == nullptr && errno == ENOMEM, "huge malloc", huge); return;
      case 1: require(hak_calloc(huge, 16) == nullptr && errno == ENOMEM, "overflowing calloc", huge); return;
      case 2: require(hak_aligned_alloc(48, 64) == nullptr && errno == EINVAL, "aligned_alloc(48)"); return;
      case 3: {
        void* out = nullptr;
        require(hak_posix_memalign(&out, 24, 64) == EINVAL && out == nullptr, "posix_memalign(24)");
        return;
      }
      case 4: require(hak_memalign((size_t{1} << 63) + 1, 16) == nullptr && errno == EINVAL, "memalign(2^63+1)"); return;
      default: {
        if (model_.live() == 0) return;
        const Block& b = model_.block(in_.u8() % model_.live());
        require(hak_realloc(b.p, huge) == nullptr && errno == ENOMEM, "huge realloc", huge);
        model_.verify(b, b.request, "a failed realloc changed the block");
      }
    }
  }

  void release(size_t i, bool remote) {
    Block b = model_.take(i, remote);
    trace(remote ? "free (remote)" : "free", b.p, b.request, b.align);
    if (remote) return remote_.push(b.p);
    switch (b.id % 3) {
      case 0: hak_free(b.p); break;
      case 1: hak_free_sized(b.p, b.request); break;
      default: hak_free_aligned_sized(b.p, b.align, b.request); break;
    }
  }

  void free_op(bool remote = false) {
    if (model_.live() == 0) return;
    release(in_.u8() % model_.live(), remote);
  }

  void realloc_op() {
    uint8_t how = in_.u8();
    size_t size = pick_size(in_);
    if (model_.live() == 0 || how % 8 == 0) {  // realloc(NULL, n) is malloc
      if (!room_for(size)) return;
      return keep(hak_realloc(nullptr, size), size, 16, "realloc(NULL)");
    }
    size_t i = in_.u8() % model_.live();
    Block old = model_.block(i);
    if (how % 8 == 1) {  // realloc(p, 0) frees
      model_.take(i, false);
      require(hak_realloc(old.p, 0) == nullptr, "realloc(p, 0) returned a block");
      return;
    }
    if (how % 8 == 2) size = old.request + (how >> 3);  // grow a little: in place when it fits
    if (how % 8 == 3) size = old.request - old.request / (1 + (how >> 3));  // shrink
    if (size == 0 || !room_for(size)) return;
    model_.verify(old, old.request, "a live block's contents changed before realloc");
    void* p = (how & 0x80) ? hak_reallocarray(old.p, 1, size) : hak_realloc(old.p, size);
    trace("realloc from", old.p, old.request, old.usable);
    trace("realloc to", p, size, 0);
    require(p != nullptr, "realloc failed", old.request, size);
    Block moved = old;
    moved.p = static_cast<unsigned char*>(p);
    size_t keep_bytes = old.request < size ? old.request : size;
    model_.verify(moved, keep_bytes, "realloc lost the prefix");
    if (p == old.p) {
      model_.resized(i, size, hak_malloc_usable_size(p));
    } else {
      model_.take(i, false, /*verify=*/false);  // already freed by realloc
      moved.request = size;
      moved.usable = hak_malloc_usable_size(p);
      moved.align = 16;
      moved.cls = class_for(size, 16);
      model_.add(moved);
      i = model_.live() - 1;
    }
    model_.fill(model_.block(i));
  }

  // ALLOC_FUZZ_TRACE=1: every call on stderr, to replay a crash file by hand.
  static void trace(const char* what, const void* p, size_t size, size_t align) {
    static const bool on = getenv("ALLOC_FUZZ_TRACE") != nullptr;
    if (on) fprintf(stderr, "alloc_fuzz: %s %p size %zu align %zu\n", what, p, size, align);
  }

  Bytes& in_;
  RemoteFreer& remote_;
  Model model_;
  bool skipped_ = false;
};

void check_counts(const hak_stats& before, const hak_stats& after, const alloc_fuzz::Counts& want) {
  for (int c = 0; c < HAK_NUM_CLASSES; ++c) {
    require(after.classes[c].allocs - before.classes[c].allocs == want.allocs[c], "class allocs",
            after.classes[c].allocs - before.classes[c].allocs, want.allocs[c]);
    require(after.classes[c].frees - before.classes[c].frees == want.frees[c], "class frees",
            after.classes[c].frees - before.classes[c].frees, want.frees[c]);
    require(after.classes[c].remote_frees - before.classes[c].remote_frees == want.remote_frees[c],
            "class remote frees", after.classes[c].remote_frees - before.classes[c].remote_frees,
            want.remote_frees[c]);
  }
  require(after.large_allocs - before.large_allocs == want.large_allocs, "large allocs",
          after.large_allocs - before.large_allocs, want.large_allocs);
  require(after.large_frees - before.large_frees == want.large_frees, "large frees",
          after.large_frees - before.large_frees, want.large_frees);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static RemoteFreer* remote = new RemoteFreer;
  hak_stats before, after;
  require(hak_stats_snapshot(&before) == 0, "hak_stats_snapshot");
  Bytes in(data, size);
  Run run(in, *remote);
  for (size_t ops = 0; !in.done() && ops < kMaxOps; ++ops) run.step();
  run.finish();
  require(hak_stats_snapshot(&after) == 0, "hak_stats_snapshot");
  check_counts(before, after, run.model().expected);
  return 0;
}
