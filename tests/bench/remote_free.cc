/* remote_free: producer threads allocate small blocks that other threads free, in batches,
 * as fast as both sides can go.
 *
 * usage: remote_free THREADS [SECONDS=1.5]
 * Even threads produce, odd ones consume (THREADS = 1: one thread does both, so every free is
 * local). A producer mallocs batches of 256 blocks of 8-128 bytes, writes the first and last
 * byte of each and pushes the batch onto one queue under a mutex, as a work queue between an
 * acceptor and its workers would; a consumer takes whole batches and frees every block. The
 * queue holds at most 64 batches: a producer that finds it full frees its own batch instead
 * (so a slow consumer bounds memory, not throughput). A consumer that finds the queue empty
 * waits on an atomic count of the batches queued, not on the mutex: polling the mutex held up
 * the producer's pushes in futex waits, the more the faster the consumer freed, so that a faster
 * allocator ran this workload slower. An operation is one malloc+free pair. */
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "bench_common.h"

namespace {

constexpr size_t kBatch = 256, kMaxQueued = 64;
constexpr size_t kMin = 8, kMax = 128;

struct Batch {
  char* blocks[kBatch];
};

struct alignas(64) Queue {
  std::mutex mu;
  std::deque<Batch*> batches;
  std::atomic<size_t> queued{0};   // batches.size(), written under mu, read without it
};
Queue g_queue;
int g_threads = 1;

Batch* fill(bench::Rng& rng) {
  Batch* b = new Batch;
  for (char*& p : b->blocks) p = bench::alloc_touch(rng.range(kMin, kMax));
  return b;
}

void drain(Batch* b) {
  for (char* p : b->blocks) free(p);
  delete b;
}

uint64_t produce(bench::Rng& rng, const bench::Control& ctl) {
  uint64_t ops = 0;
  while (!ctl.stop()) {
    Batch* b = fill(rng);
    bool queued = false;
    {
      std::lock_guard<std::mutex> g(g_queue.mu);
      if (g_queue.batches.size() < kMaxQueued) {
        g_queue.batches.push_back(b);
        g_queue.queued.store(g_queue.batches.size(), std::memory_order_release);
        queued = true;
      }
    }
    if (!queued) drain(b);
    ops += kBatch;
  }
  return ops;
}

uint64_t consume(const bench::Control& ctl) {
  uint64_t spins = 0;
  while (!ctl.stop()) {
    Batch* b = nullptr;
    if (g_queue.queued.load(std::memory_order_acquire) != 0) {
      std::lock_guard<std::mutex> g(g_queue.mu);
      if (!g_queue.batches.empty()) {
        b = g_queue.batches.front();
        g_queue.batches.pop_front();
        g_queue.queued.store(g_queue.batches.size(), std::memory_order_release);
      }
    }
    if (b != nullptr) {
      drain(b);
    } else if (++spins % 64 == 0) {
      std::this_thread::yield();  // more threads than cores: let a producer run
    } else {
      __builtin_ia32_pause();
    }
  }
  return 0;  // a consumer's frees complete the producers' operations: counted there
}

uint64_t alone(bench::Rng& rng, const bench::Control& ctl) {
  uint64_t ops = 0;
  while (!ctl.stop()) {
    drain(fill(rng));
    ops += kBatch;
  }
  return ops;
}

uint64_t work(int t, const bench::Control& ctl) {
  bench::Rng rng(7100 + static_cast<uint64_t>(t));
  if (g_threads == 1) return alone(rng, ctl);
  return (t % 2 == 0) ? produce(rng, ctl) : consume(ctl);
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args a;
  if (!bench::parse_args(argc, argv, &a)) return 2;
  g_threads = a.threads;
  bench::run_timed(a.threads, a.seconds, work);
  for (Batch* b : g_queue.batches) drain(b);
  return 0;
}
