// Background release. Protocol with notifiers (no lost wakeup): the thread reads the wake
// sequence, marks itself idle, re-checks for pending work, then futex-waits on the sequence;
// a notifier first makes the work visible, then, if it clears the idle mark, bumps the
// sequence and wakes. A bump between the re-check and the wait makes the wait return at once.
#include "background.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include "env_config.h"
#include "heap.h"
#include "large.h"
#include "thread_heap.h"

namespace hakmem {
namespace {

enum : int { kNotStarted = 0, kRunning = 1, kFailed = 2 };
std::atomic<int> g_state{kNotStarted};
std::atomic<uint32_t> g_wake_seq{0};
std::atomic<bool> g_idle{false};

bool pending() { return pool_has_empty() || large_pending() || parked_heaps_pending(); }

void* run(void*) {
  for (;;) {
    uint32_t seen = g_wake_seq.load(std::memory_order_acquire);
    g_idle.store(true, std::memory_order_seq_cst);
    if (!pending()) {
      syscall(SYS_futex, reinterpret_cast<uint32_t*>(&g_wake_seq), FUTEX_WAIT_PRIVATE, seen,
              nullptr, nullptr, 0);
      continue;
    }
    g_idle.store(false, std::memory_order_relaxed);
    uint64_t period = config().decay_ms * 1000000ull / 2 + 1000000;   // half a decay, >= 1 ms
    timespec ts{static_cast<time_t>(period / 1000000000u), static_cast<long>(period % 1000000000u)};
    nanosleep(&ts, nullptr);
    release_expired_parked(false);
    pool_release_expired(false);
    large_release_expired(false);
  }
  return nullptr;
}

void start() {
  int expected = kNotStarted;
  if (!g_state.compare_exchange_strong(expected, kRunning)) return;
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  // A sandbox may forbid threads: then the next slow paths release instead, and we do not
  // retry on every release.
  if (pthread_create(&t, &attr, run, nullptr) != 0) g_state.store(kFailed);
  pthread_attr_destroy(&attr);
}

}  // namespace

void background_notify() {
  if (config().bg_release == 0) return;
  int state = g_state.load(std::memory_order_relaxed);
  if (state == kNotStarted) return start();
  if (state != kRunning || !g_idle.load(std::memory_order_relaxed)) return;
  if (g_idle.exchange(false, std::memory_order_seq_cst)) {
    g_wake_seq.fetch_add(1, std::memory_order_release);
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&g_wake_seq), FUTEX_WAKE_PRIVATE, 1, nullptr,
            nullptr, 0);
  }
}

void background_reset_after_fork_child() {
  g_state.store(kNotStarted, std::memory_order_relaxed);
  g_idle.store(false, std::memory_order_relaxed);
}

}  // namespace hakmem
