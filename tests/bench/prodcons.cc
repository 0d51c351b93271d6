/* prodcons: producer/consumer, every block freed by a thread other than the one that made it.
 *
 * usage: prodcons THREADS [SECONDS=1.5]
 * THREADS/2 pairs: the producer mallocs 16-512 B blocks, writes them and pushes them through a
 * single-producer single-consumer ring of 1,024 slots; the consumer reads and frees them. So
 * every free is a remote free, as in a server handing requests from an acceptor to workers.
 * With THREADS = 1 (or the odd thread out) one thread alternates: it produces 256 blocks into
 * its ring, then consumes them in the same order (FIFO frees, all local).
 * An operation is one block through the ring: one malloc and one free. */
#include "bench_common.h"

namespace {

constexpr size_t kCap = 1024, kMask = kCap - 1;
constexpr size_t kMin = 16, kMax = 512;
constexpr size_t kPublish = 32;  // producer publishes its tail every kPublish blocks

// Head and tail on lines of their own: the consumer writes head, the producer writes tail.
struct Ring {
  alignas(64) std::atomic<size_t> head{0};
  alignas(64) std::atomic<size_t> tail{0};
  alignas(64) std::atomic<bool> producer_done{false};
  alignas(64) char* slots[kCap];
};

void pause_or_yield(unsigned& spins) {
  if (++spins < 64) {
    __builtin_ia32_pause();
  } else {
    spins = 0;
    std::this_thread::yield();  // more threads than cores: let the other side run
  }
}

uint64_t produce(Ring& r, uint64_t seed, const bench::Control& ctl) {
  bench::Rng rng(seed);
  size_t tail = 0, head_seen = 0;
  unsigned spins = 0;
  while (!ctl.stop()) {
    for (size_t i = 0; i < kPublish; i++) {
      while (tail - head_seen >= kCap) {
        r.tail.store(tail, std::memory_order_release);
        head_seen = r.head.load(std::memory_order_acquire);
        if (tail - head_seen < kCap) break;
        if (ctl.stop()) goto out;
        pause_or_yield(spins);
      }
      r.slots[tail & kMask] = bench::alloc_touch(rng.range(kMin, kMax));
      tail++;
    }
    r.tail.store(tail, std::memory_order_release);
  }
out:
  r.tail.store(tail, std::memory_order_release);
  r.producer_done.store(true, std::memory_order_release);
  return 0;
}

uint64_t consume(Ring& r) {
  size_t head = 0;
  uint64_t ops = 0;
  unsigned spins = 0;
  volatile char sink = 0;
  for (;;) {
    size_t tail = r.tail.load(std::memory_order_acquire);
    if (head == tail) {
      if (r.producer_done.load(std::memory_order_acquire) &&
          r.tail.load(std::memory_order_acquire) == head)
        break;
      pause_or_yield(spins);
      continue;
    }
    for (; head != tail; head++) {
      char* p = r.slots[head & kMask];
      sink = static_cast<char>(sink + p[0]);
      free(p);
      ops++;
    }
    r.head.store(head, std::memory_order_release);
  }
  return ops;
}

uint64_t alternate(uint64_t seed, const bench::Control& ctl) {
  bench::Rng rng(seed);
  char** ring = static_cast<char**>(bench::check(malloc(kCap * sizeof(char*)), kCap));
  uint64_t ops = 0;
  volatile char sink = 0;
  while (!ctl.stop()) {
    for (size_t i = 0; i < 256; i++) ring[i] = bench::alloc_touch(rng.range(kMin, kMax));
    for (size_t i = 0; i < 256; i++) {
      sink = static_cast<char>(sink + ring[i][0]);
      free(ring[i]);
    }
    ops += 256;
  }
  free(ring);
  return ops;
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args args;
  if (!bench::parse_args(argc, argv, &args)) return 2;
  int pairs = args.threads / 2;
  std::vector<Ring> rings(static_cast<size_t>(pairs));
  bench::run_timed(args.threads, args.seconds, [&rings, pairs](int t, const bench::Control& ctl) -> uint64_t {
    uint64_t seed = 3000 + static_cast<uint64_t>(t);
    if (t >= 2 * pairs) return alternate(seed, ctl);
    Ring& r = rings[static_cast<size_t>(t / 2)];
    return t % 2 == 0 ? produce(r, seed, ctl) : consume(r);
  });
  return 0;
}
