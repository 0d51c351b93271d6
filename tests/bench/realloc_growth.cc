/* realloc_growth: buffers that grow by realloc, as strings, vectors and read buffers do.
 *
 * usage: realloc_growth THREADS [SECONDS=1.5]
 * Each thread grows 8 buffers in turn (so a buffer's neighbour is often live and growth in
 * place is not free): start at 16 B, grow by half plus 0-15 B per realloc up to a target drawn
 * log-uniform from 64 B to 256 KiB, then free it and start again. Every realloc writes the
 * new last byte and checks the first byte survived the move.
 * An operation is one realloc, or one free+malloc when a buffer starts again. */
#include "bench_common.h"

namespace {

constexpr int kBuffers = 8;
constexpr size_t kStart = 16, kMaxTarget = 256 * 1024;

struct Buffer {
  char* p;
  size_t size, target;
  char tag;
};

void start(Buffer& b, bench::Rng& rng) {
  b.size = kStart;
  b.target = rng.log_range(64, kMaxTarget + 1);
  b.p = bench::alloc_touch(kStart);
  b.tag = static_cast<char>(rng.next());
  b.p[0] = b.tag;
}

uint64_t grow(int t, const bench::Control& ctl) {
  bench::Rng rng(6000 + static_cast<uint64_t>(t));
  Buffer bufs[kBuffers];
  for (auto& b : bufs) start(b, rng);
  uint64_t ops = 0;
  while (!ctl.stop()) {
    for (int k = 0; k < 64; k++) {
      Buffer& b = bufs[k % kBuffers];
      size_t n = b.size + b.size / 2 + rng.next() % 16;
      if (n > b.target) {
        free(b.p);
        start(b, rng);
        continue;
      }
      b.p = static_cast<char*>(bench::check(realloc(b.p, n), n));
      if (b.p[0] != b.tag) {
        fprintf(stderr, "realloc_growth: realloc lost the contents\n");
        abort();
      }
      b.p[n - 1] = 1;
      b.size = n;
    }
    ops += 64;
  }
  for (auto& b : bufs) free(b.p);
  return ops;
}

}  // namespace

int main(int argc, char** argv) { return bench::timed_main(argc, argv, grow); }
