/* larson: our own implementation of the Larson server benchmark (Larson and Krishnan, 1998).
 *
 * usage: larson SLEEP MIN MAX CHUNKS_PER_THREAD ROUNDS SEED THREADS
 * THREADS lanes each own CHUNKS_PER_THREAD live blocks, first allocated by main. A lane's
 * thread does ROUNDS * CHUNKS_PER_THREAD operations (free a random slot, malloc a random size in
 * [MIN, MAX] into it, touch the first and last byte), then hands the lane, live blocks included,
 * to a new thread it creates and exits. So blocks are freed by threads other than the one that
 * allocated them, and thread start-up and exit are part of what is measured. After SLEEP
 * seconds all lanes stop; main prints `Throughput = N operations per second` (operations over
 * the time from start to the last lane stopping) and frees every block.
 *
 * Plain malloc/free: run under LD_PRELOAD=libhakmem.so to measure HAKMEM. Each lane has its
 * own xorshift generator seeded from (SEED, lane), and the generator travels with the lane, so
 * the sequence of sizes and slots is the same on every run; only how far it gets varies. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

namespace {

struct Config {
  size_t min_size, max_size, chunks;
  uint64_t ops_per_thread;
};

// A lane is owned by exactly one thread at a time; pthread_create() is the handoff, which
// orders the old thread's writes before the new thread's reads. Aligned so lanes that sit
// side by side do not share a cache line.
struct alignas(64) Lane {
  const Config* cfg;
  char** blocks;
  uint64_t rng;
  uint64_t ops;     // operations completed by all of the lane's threads so far
  uint64_t threads; // threads that have run this lane
  std::atomic<bool> done;
};

std::atomic<bool> g_stop{false};
pthread_attr_t g_detached;

uint64_t next(uint64_t& s) {
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

uint64_t seed_for(uint64_t seed, uint64_t lane) {
  // splitmix64 of (seed, lane): neighbouring seeds and lanes get unrelated streams.
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (lane + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return z ? z : 1;
}

char* alloc_block(const Config& c, uint64_t& rng) {
  size_t n = c.min_size + next(rng) % (c.max_size - c.min_size + 1);
  char* p = static_cast<char*>(malloc(n));
  if (p == nullptr) {
    fprintf(stderr, "larson: malloc(%zu) failed\n", n);
    abort();
  }
  // Touch it, as a server would: the first and the last byte.
  p[0] = static_cast<char>(n);
  p[n - 1] = static_cast<char>(n >> 8);
  return p;
}

void* lane_thread(void* arg) {
  Lane* l = static_cast<Lane*>(arg);
  const Config& c = *l->cfg;
  l->threads++;
  for (;;) {
    uint64_t ops = 0;
    for (; ops < c.ops_per_thread; ops++) {
      if (g_stop.load(std::memory_order_relaxed)) break;
      size_t victim = next(l->rng) % c.chunks;
      free(l->blocks[victim]);
      l->blocks[victim] = alloc_block(c, l->rng);
    }
    l->ops += ops;
    if (g_stop.load(std::memory_order_relaxed)) break;
    pthread_t successor;
    if (pthread_create(&successor, &g_detached, lane_thread, l) == 0) return nullptr;
    // Out of threads for the moment: carry on in this one rather than lose the lane.
  }
  l->done.store(true, std::memory_order_release);
  return nullptr;
}

double now_seconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

uint64_t parse(const char* s, const char* what) {
  char* end = nullptr;
  unsigned long long v = strtoull(s, &end, 10);
  if (end == s || *end != '\0') {
    fprintf(stderr, "larson: bad %s '%s'\n", what, s);
    exit(2);
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: %s SLEEP MIN MAX CHUNKS_PER_THREAD ROUNDS SEED THREADS\n", argv[0]);
    return 2;
  }
  uint64_t sleep_s = parse(argv[1], "SLEEP");
  Config cfg;
  cfg.min_size = parse(argv[2], "MIN");
  cfg.max_size = parse(argv[3], "MAX");
  cfg.chunks = parse(argv[4], "CHUNKS_PER_THREAD");
  uint64_t rounds = parse(argv[5], "ROUNDS");
  uint64_t seed = parse(argv[6], "SEED");
  uint64_t nlanes = parse(argv[7], "THREADS");
  if (cfg.min_size == 0 || cfg.max_size < cfg.min_size || cfg.chunks == 0 || rounds == 0 ||
      nlanes == 0) {
    fprintf(stderr, "larson: need 0 < MIN <= MAX and CHUNKS_PER_THREAD, ROUNDS, THREADS > 0\n");
    return 2;
  }
  cfg.ops_per_thread = rounds * cfg.chunks;

  pthread_attr_init(&g_detached);
  pthread_attr_setdetachstate(&g_detached, PTHREAD_CREATE_DETACHED);
  Lane* lanes = new Lane[nlanes];
  // Main allocates every lane's first blocks, so the first threads already free foreign ones.
  for (uint64_t i = 0; i < nlanes; i++) {
    Lane& l = lanes[i];
    l.cfg = &cfg;
    l.rng = seed_for(seed, i);
    l.ops = 0;
    l.threads = 0;
    l.done.store(false);
    l.blocks = new char*[cfg.chunks];
    for (size_t k = 0; k < cfg.chunks; k++) l.blocks[k] = alloc_block(cfg, l.rng);
  }

  double start = now_seconds();
  for (uint64_t i = 0; i < nlanes; i++) {
    pthread_t t;
    if (pthread_create(&t, &g_detached, lane_thread, &lanes[i]) != 0) {
      fprintf(stderr, "larson: cannot start thread %llu\n", (unsigned long long)i);
      return 1;
    }
  }
  sleep(static_cast<unsigned>(sleep_s));
  g_stop.store(true);
  for (uint64_t i = 0; i < nlanes; i++)
    while (!lanes[i].done.load(std::memory_order_acquire)) usleep(100);
  double elapsed = now_seconds() - start;

  uint64_t total = 0, threads = 0;
  for (uint64_t i = 0; i < nlanes; i++) {
    total += lanes[i].ops;
    threads += lanes[i].threads;
    for (size_t k = 0; k < cfg.chunks; k++) free(lanes[i].blocks[k]);
    delete[] lanes[i].blocks;
  }
  delete[] lanes;
  printf("Throughput = %llu operations per second\n",
         static_cast<unsigned long long>(static_cast<double>(total) / elapsed));
  if (getenv("LARSON_VERBOSE") != nullptr)
    fprintf(stderr, "larson: ops=%llu threads=%llu elapsed=%.3f s\n",
            (unsigned long long)total, (unsigned long long)threads, elapsed);
  return 0;
}
