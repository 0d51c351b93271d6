/* remote_free: producer threads allocate small blocks that other threads free, in batches,
 * as fast as both sides can go.
 *
 * usage: remote_free THREADS [SECONDS=1.5]
 * Even threads produce, odd ones consume (THREADS = 1: one thread does both, so every free is
 * local). A producer mallocs batches of 256 blocks of 8-128 bytes, writes the first and last
 * byte of each and pushes the batch onto one queue under a mutex, as a work queue between an
 * acceptor and its workers would; a consumer takes whole batches and frees every block. The
 * queue holds at most 64 batches: a producer that finds it full waits for room, so a slow
 * consumer bounds memory. An operation is one block a consumer freed (THREADS = 1: one
 * malloc+free pair). Until 2026-12 a producer facing a full queue freed its batch itself and
 * those pairs counted too, so that a faster consumer scored lower: its producer then freed
 * fewer blocks locally and allocated more that another core had written. A consumer that finds
 * the queue empty waits on an atomic count of the batches queued, not on the mutex: polling
 * the mutex held up the producer's pushes in futex waits. */
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

// Waits like a consumer on an empty queue: pause, and yield now and then, so that with more
// threads than cores the consumer gets to run.
void wait_a_moment(uint64_t& spins) {
  if (++spins % 64 == 0) {
    std::this_thread::yield();
  } else {
    __builtin_ia32_pause();
  }
}

uint64_t produce(bench::Rng& rng, const bench::Control& ctl) {
  uint64_t spins = 0;
  Batch* b = nullptr;
  while (!ctl.stop()) {
    if (b == nullptr) b = fill(rng);
    {
      std::lock_guard<std::mutex> g(g_queue.mu);
      if (g_queue.batches.size() < kMaxQueued) {
        g_queue.batches.push_back(b);
        g_queue.queued.store(g_queue.batches.size(), std::memory_order_release);
        b = nullptr;
      }
    }
    if (b != nullptr) wait_a_moment(spins);
  }
  if (b != nullptr) drain(b);   // the batch the stop found waiting: not an operation
  return 0;  // counted where the blocks are freed
}

uint64_t consume(const bench::Control& ctl) {
  uint64_t spins = 0, ops = 0;
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
      ops += kBatch;
    } else {
      wait_a_moment(spins);
    }
  }
  return ops;
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
