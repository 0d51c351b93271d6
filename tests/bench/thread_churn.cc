/* thread_churn: mixed sizes, with threads that live for a few thousand operations.
 *
 * usage: thread_churn THREADS [SECONDS=1.5]
 * THREADS lanes run side by side. A lane's thread does 4,096 operations and then starts its
 * successor and exits, as a pool that recycles workers or a program that spawns a thread per
 * task does. Each operation frees a block and mallocs one of a mixed size (60 % 16-256 B,
 * 30 % 256 B-4 KiB, 10 % 4-32 KiB, log-uniform within each band) in its place: three times in
 * four in the thread's own 64 private slots, which it frees before it exits, and once in four
 * in the lane's 256 slots, which outlive the thread, so its successor frees what it made.
 * What this measures beyond Larson: thread-cache set-up and tear-down with several size bands
 * in use, and the return of a dead thread's memory to the living.
 * An operation is one malloc+free pair; thread start-up and exit are inside the timing. */
#include <pthread.h>

#include "bench_common.h"

namespace {

constexpr uint64_t kOpsPerThread = 4096;
constexpr size_t kPrivate = 64, kShared = 256;

size_t mixed_size(bench::Rng& rng) {
  uint64_t band = rng.next() % 10;
  if (band < 6) return rng.log_range(16, 257);
  if (band < 9) return rng.log_range(256, 4097);
  return rng.log_range(4096, 32769);
}

// Owned by one thread at a time; pthread_create() of the successor is the handoff.
struct alignas(64) Lane {
  char* shared[kShared];
  bench::Rng rng{0};
  uint64_t ops = 0;
  uint64_t threads = 0;
  std::atomic<bool> done{false};
};

std::atomic<bool> g_stop{false};
pthread_attr_t g_detached;

void* lane_thread(void* arg) {
  Lane* l = static_cast<Lane*>(arg);
  for (;;) {
    l->threads++;
    char* priv[kPrivate];
    for (auto& p : priv) p = bench::alloc_touch(mixed_size(l->rng));
    uint64_t ops = kPrivate;
    for (; ops < kOpsPerThread; ops++) {
      if ((ops & 63) == 0 && g_stop.load(std::memory_order_relaxed)) break;
      uint64_t r = l->rng.next();
      char*& slot = (r & 3) == 0 ? l->shared[(r >> 2) % kShared] : priv[(r >> 2) % kPrivate];
      free(slot);
      slot = bench::alloc_touch(mixed_size(l->rng));
    }
    for (auto& p : priv) free(p);
    l->ops += ops;
    if (g_stop.load(std::memory_order_relaxed)) break;
    pthread_t successor;
    if (pthread_create(&successor, &g_detached, lane_thread, l) == 0) return nullptr;
    // Out of threads for the moment: carry on in this one rather than lose the lane.
  }
  l->done.store(true, std::memory_order_release);
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args args;
  if (!bench::parse_args(argc, argv, &args)) return 2;
  pthread_attr_init(&g_detached);
  pthread_attr_setdetachstate(&g_detached, PTHREAD_CREATE_DETACHED);
  std::vector<Lane> lanes(static_cast<size_t>(args.threads));
  for (size_t i = 0; i < lanes.size(); i++) {
    lanes[i].rng = bench::Rng(5000 + i);
    for (auto& p : lanes[i].shared) p = bench::alloc_touch(mixed_size(lanes[i].rng));
  }
  double start = bench::now_seconds();
  for (auto& l : lanes) {
    pthread_t t;
    if (pthread_create(&t, &g_detached, lane_thread, &l) != 0) bench::die(argv[0], "no thread");
  }
  usleep(static_cast<useconds_t>(args.seconds * 1e6));
  g_stop.store(true);
  for (auto& l : lanes)
    while (!l.done.load(std::memory_order_acquire)) usleep(100);
  double elapsed = bench::now_seconds() - start;
  uint64_t total = 0, spawned = 0;
  for (auto& l : lanes) {
    total += l.ops;
    spawned += l.threads;
    for (auto& p : l.shared) free(p);
  }
  printf("threads started: %llu\n", static_cast<unsigned long long>(spawned));
  bench::print_throughput(static_cast<double>(total), elapsed);
  return 0;
}
