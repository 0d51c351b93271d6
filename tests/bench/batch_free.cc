/* batch_free: mixed sizes up to 1 KiB allocated into a per-thread array and freed in batches,
 * in the order allocated and in reverse.
 *
 * usage: batch_free THREADS [SECONDS=1.5] [SHARE=0]
 * Each thread fills an array of 4096 blocks of sizes uniform in [8, 1024] bytes, writing the
 * first and last byte of each, then frees them all: in allocation order on even rounds, in
 * reverse on odd ones. With SHARE = k (0..100), k % of each round's blocks are handed to the
 * next thread (a ring of per-thread mailboxes) and freed there instead, as a pipeline stage
 * passing some of its buffers on. A mailbox holds at most two rounds' worth: a thread that
 * finds the next one full frees those blocks itself, so a descheduled neighbour bounds the
 * memory, not the run. An operation is one malloc+free pair. */
#include <mutex>

#include "bench_common.h"

namespace {

constexpr size_t kBatch = 4096;
int g_share = 0;
int g_threads = 1;

struct alignas(64) Mailbox {
  std::mutex mu;
  std::vector<char*> blocks;
};
std::vector<Mailbox>* g_boxes;

uint64_t rounds(int t, const bench::Control& ctl) {
  bench::Rng rng(4200 + static_cast<uint64_t>(t));
  std::vector<char*> batch(kBatch);
  std::vector<char*> mine, theirs;
  Mailbox& next = (*g_boxes)[static_cast<size_t>((t + 1) % g_threads)];
  Mailbox& own = (*g_boxes)[static_cast<size_t>(t)];
  uint64_t ops = 0;
  for (uint64_t round = 0; !ctl.stop(); ++round) {
    for (char*& p : batch) p = bench::alloc_touch(rng.range(8, 1024));
    mine.clear();
    theirs.clear();
    for (char* p : batch) ((rng.next() % 100) < static_cast<uint64_t>(g_share) ? theirs : mine).push_back(p);
    if ((round & 1) == 0) {
      for (char* p : mine) free(p);
    } else {
      for (size_t i = mine.size(); i-- > 0;) free(mine[i]);
    }
    if (!theirs.empty()) {
      bool handed = false;
      {
        std::lock_guard<std::mutex> g(next.mu);
        if (next.blocks.size() < 2 * kBatch) {
          next.blocks.insert(next.blocks.end(), theirs.begin(), theirs.end());
          handed = true;
        }
      }
      if (!handed)
        for (char* p : theirs) free(p);
    }
    std::vector<char*> arrived;
    {
      std::lock_guard<std::mutex> g(own.mu);
      arrived.swap(own.blocks);
    }
    for (char* p : arrived) free(p);
    ops += kBatch;
  }
  return ops;
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args a;
  if (!bench::parse_args(argc > 3 ? 3 : argc, argv, &a)) return 2;
  if (argc > 3) g_share = static_cast<int>(bench::parse_long(argv[0], argv[3], "SHARE", 0, 100));
  g_threads = a.threads;
  std::vector<Mailbox> boxes(static_cast<size_t>(a.threads));
  g_boxes = &boxes;
  bench::run_timed(a.threads, a.seconds, rounds);
  for (Mailbox& b : boxes)
    for (char* p : b.blocks) free(p);
  return 0;
}
