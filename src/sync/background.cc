// The helper's state machine and its sleep.
//
// States of g_state (also a futex word, so a thread can wait for a transition to finish):
//   kNone -> kStarting -> kRunning -> kStopping -> kNone, and kStarting -> kFailed.
// Only the thread that moved it to kStarting creates the helper; only the thread that moved
// it from kRunning to kStopping joins it. A thread that finds kStarting or kStopping waits for
// the next state, so an exit never returns while the helper it had to stop still exists.
//
// Wakeups (no lost wakeup): the helper reads the wake sequence, checks for stop, marks itself
// idle, re-checks for pending work, then futex-waits on the sequence; a notifier first makes
// the work visible, then, if it clears the idle mark, bumps the sequence and wakes. A stop
// always bumps. A bump between the helper's read and its wait makes the wait return at once.
#include "sync/background.h"

#include <atomic>
#include <climits>
#include <cstdint>

#include "os/os.h"
#include "os/threads.h"
#include "support/decay.h"
#include "support/env_config.h"

namespace hakmem {
namespace {

enum : uint32_t { kNone = 0, kStarting = 1, kRunning = 2, kStopping = 3, kFailed = 4 };
// The release functions run shallow; glibc's default 8 MiB would be address space for nothing.
constexpr size_t kHelperStack = 256 * 1024;

std::atomic<uint32_t> g_state{kNone};
std::atomic<uint32_t> g_wake_seq{0};
std::atomic<bool> g_idle{false};
std::atomic<int> g_app_threads{0};
// When an exit last stopped the helper: it is not started again within one decay, so a program
// that joins and spawns a worker per task pays at most one helper start per decay, and the
// slow-path polls release meanwhile.
std::atomic<uint64_t> g_stopped_at_ns{0};
unsigned long g_thread;   // written before kRunning is published, read after leaving it

std::atomic<uint64_t> g_next_poll_ns{0};

bool nothing_pending() { return false; }
void nothing_to_do() {}
BackgroundWork g_work{nothing_pending, nothing_to_do, nothing_to_do, nothing_to_do};

bool stopping() { return g_state.load(std::memory_order_seq_cst) == kStopping; }

void* run(void*) {
  g_work.enter_helper();
  for (;;) {
    uint32_t seen = g_wake_seq.load(std::memory_order_acquire);
    if (stopping()) return nullptr;
    g_idle.store(true, std::memory_order_seq_cst);
    if (!g_work.pending()) {
      os::futex_wait(&g_wake_seq, seen);
      continue;
    }
    g_idle.store(false, std::memory_order_relaxed);
    // Half a decay (at least 1 ms), cut short by a stop.
    os::futex_wait(&g_wake_seq, seen, decay_ns() / 2 + 1000000);
    if (stopping()) return nullptr;
    g_work.release_expired();
  }
}

void wait_while(uint32_t state) {
  while (g_state.load(std::memory_order_acquire) == state) os::futex_wait(&g_state, state);
}

void set_state(uint32_t state) {
  g_state.store(state, std::memory_order_release);
  os::futex_wake(&g_state, INT_MAX);
}

void stop() {
  for (;;) {
    uint32_t s = g_state.load(std::memory_order_acquire);
    if (s == kNone || s == kFailed) return;
    if (s == kStarting || s == kStopping) {
      wait_while(s);
      continue;
    }
    if (!g_state.compare_exchange_strong(s, kStopping, std::memory_order_acq_rel)) continue;
    g_wake_seq.fetch_add(1, std::memory_order_release);
    os::futex_wake(&g_wake_seq, 1);
    os::join_thread(g_thread);
    g_stopped_at_ns.store(os::now_ns(), std::memory_order_relaxed);
    set_state(kNone);
    return;
  }
}

bool may_start() {
  if (g_app_threads.load(std::memory_order_relaxed) < 2) return false;
  uint64_t stopped = g_stopped_at_ns.load(std::memory_order_relaxed);
  return stopped == 0 || decayed(stopped, os::now_ns());
}

void start() {
  uint32_t expected = kNone;
  if (!may_start() || !g_state.compare_exchange_strong(expected, kStarting)) return;
  // A sandbox may forbid threads: then the slow paths release instead, and we do not retry
  // on every release.
  if (!os::start_thread(&g_thread, run, kHelperStack, "hakmem-release")) return set_state(kFailed);
  set_state(kRunning);
  // An exit may have left fewer than two threads while this one was starting the helper.
  if (g_app_threads.load(std::memory_order_seq_cst) < 2) stop();
}

}  // namespace

void background_set_work(const BackgroundWork& work) { g_work = work; }

__thread uint32_t t_defer_depth __attribute__((tls_model("initial-exec")));
__thread bool t_start_deferred __attribute__((tls_model("initial-exec")));

void background_defer_begin() { ++t_defer_depth; }

void background_defer_end() {
  if (--t_defer_depth != 0 || !t_start_deferred) return;
  t_start_deferred = false;
  background_notify();
}

void background_notify() {
  uint32_t state = kNone;
  if (config().bg_release != 0) {
    // Orders the caller's "work is visible" store before the reads of the helper's marks.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    state = g_state.load(std::memory_order_relaxed);
    if (state == kNone) {
      if (t_defer_depth != 0) t_start_deferred = true; else start();
    }
    state = g_state.load(std::memory_order_relaxed);
  }
  if (state != kRunning) {
    // No helper will come back for these before the next slow path, which may be never.
    g_work.bound_reserve();
    return;
  }
  if (!g_idle.load(std::memory_order_relaxed)) return;
  if (g_idle.exchange(false, std::memory_order_seq_cst)) {
    g_wake_seq.fetch_add(1, std::memory_order_release);
    os::futex_wake(&g_wake_seq, 1);
  }
}

void background_poll() {
  if (g_state.load(std::memory_order_relaxed) == kRunning || !g_work.pending()) return;
  if (decay_check_due(g_next_poll_ns)) g_work.release_expired();
}

void background_app_thread_started() {
  if (g_app_threads.fetch_add(1, std::memory_order_seq_cst) + 1 >= 2 && g_work.pending()) {
    background_notify();
  }
}

void background_app_thread_exiting() {
  if (g_app_threads.fetch_sub(1, std::memory_order_seq_cst) - 1 < 2) stop();
}

void background_reset_after_fork_child(bool caller_counted) {
  g_state.store(kNone, std::memory_order_relaxed);
  g_idle.store(false, std::memory_order_relaxed);
  g_app_threads.store(caller_counted ? 1 : 0, std::memory_order_relaxed);
}

}  // namespace hakmem
