// Allocator start-up (init.h) and the process-level hooks: fork handlers and the exit summary.
//
// Init runs on the first allocator call, which may come before any constructor (another
// preloaded library's constructor, or libc itself), and never calls malloc. The state word
// goes to "ready" before anything that may re-enter the allocator (the thread-exit key,
// the fork handlers), so re-entry finds a working allocator.
#include "core/init.h"

#include <sys/auxv.h>

#include <atomic>

#include "core/crash_log.h"
#include "core/fast_path.h"
#include "core/release.h"
#include "core/stats.h"
#include "os/os.h"
#include "os/threads.h"
#include "small/slab.h"
#include "small/thread_cache.h"
#include "small/thread_heap.h"
#include "support/env_config.h"
#include "sync/background.h"
#include "sync/lock.h"
#include "telemetry/segment.h"

namespace hakmem {

namespace {

enum : int { kUninit = 0, kIniting = 1, kReady = 2 };
std::atomic<int> g_init_state{kUninit};

uintptr_t make_secret() {
  uintptr_t s = 0;
  // AT_RANDOM: 16 random bytes the kernel gives every process; no syscall needed.
  if (auto* bytes = reinterpret_cast<const unsigned char*>(getauxval(AT_RANDOM))) {
    for (int i = 0; i < 8; ++i) s = (s << 8) | bytes[i + 8];
  }
  s ^= os::now_ns() * 0x9E3779B97F4A7C15ull;
  return s | 1;   // never zero, so zeroed memory never carries a tag
}

// Whether the handlers of the fork in progress hold every lock. A single-threaded process
// has no other thread to wait for, and may be forking from a signal handler that interrupted
// an allocation holding a lock (glibc's tst-mallocfork2): taking that lock would wait for
// ever. Then, as glibc does for its own locks, none is taken, and the child keeps them as
// the interrupted frame left them, for it to release when it resumes.
bool g_fork_locked;

void before_fork() {
  g_fork_locked = !os::process_single_threaded();
  if (g_fork_locked) {
    os::stdio_lock_for_fork();  // before ours: see threads.h
    lock_all_for_fork(heaps_lock_for_fork);
  }
  caches_before_fork();
}
void after_fork_parent() {
  if (g_fork_locked) {
    unlock_all_after_fork(false, heaps_unlock_after_fork);
    os::stdio_unlock_after_fork_parent();
  }
}
void after_fork_child() {
  bool private_segment = segment_fork_child_copy();
  caches_after_fork_child(private_segment);
  if (private_segment) counts_restart_after_fork_child();
  segment_fork_child_publish();
  if (g_fork_locked) unlock_all_after_fork(true, heaps_unlock_after_fork);
  background_reset_after_fork_child(t_cache.state == kCacheActive);
}

}  // namespace

void ensure_initialized() {
  if (__builtin_expect(g_init_state.load(std::memory_order_acquire) == kReady, 1)) return;
  int expected = kUninit;
  if (!g_init_state.compare_exchange_strong(expected, kIniting, std::memory_order_acq_rel)) {
    while (g_init_state.load(std::memory_order_acquire) != kReady) {
      // Another thread is initializing; it needs no help and takes microseconds.
    }
    return;
  }
  load_config();
  release_register_background();
  segment_init();
  g_free_secret = make_secret();
  g_init_state.store(kReady, std::memory_order_release);
  thread_heap_init_globals(remote_outbox_flush);
  os::at_fork(before_fork, after_fork_parent, after_fork_child);
  install_crash_handler();
}

}  // namespace hakmem

namespace {

[[gnu::constructor]] void hakmem_constructor() { hakmem::ensure_initialized(); }
[[gnu::destructor]] void hakmem_destructor() {
  hakmem::print_stats_at_exit();
  hakmem::segment_at_exit();
}

}  // namespace
