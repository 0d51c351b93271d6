// The background release thread (HAKMEM_BG_RELEASE=1, the default): it returns decayed empty
// SuperSlabs, free large-arena pages and cached large spans to the OS, and dissolves parked
// heaps, while the program does not call the allocator.
//
// Lifetime rule (DESIGN.md, Lifetime): the helper exists only while at least two application
// threads are alive, so it never keeps a process alive, never runs a program's exit on its own
// stack, and never makes a single-threaded program multi-threaded (unshare(CLONE_NEWUSER) and
// seccomp's TSYNC refuse a multi-threaded caller). It starts at the first thing there is to
// release once a second thread exists, sleeps on a futex while nothing is pending (an idle
// process pays no wakeups), and the thread exit that leaves fewer than two stops and joins it
// before that exit goes on. A single-threaded program returns decayed memory at its next
// allocator slow path instead, as with HAKMEM_BG_RELEASE=0.
//
// Any thread HAKMEM adds later (a telemetry doorbell, say) follows the same rule: it exists
// only where this helper may, and is stopped by the same exit.
//
// Application threads are counted from their first allocator slow path to their exit hook. A
// thread that never allocated is not counted, which can only keep the helper away, never keep
// it alive past the last counted thread.
//
// The helper knows when to release, not what: the layers above it (core/release.cc) give it
// the work at init, so the pool, the large wing and the heaps below can ring it without it
// depending on them.
#pragma once

namespace hakmem {

// What there is to release, given once by init (before any of it can be pending).
struct BackgroundWork {
  bool (*pending)();           // anything waiting for the decay?
  void (*release_expired)();   // returns what has decayed
  void (*bound_reserve)();     // no helper will come: bound what waits, now
  void (*enter_helper)();      // first thing the helper thread does
};
void background_set_work(const BackgroundWork& work);

// Something became releasable (an empty SuperSlab, a free arena run, a cached large span, a
// parked heap): start the helper if it may run, or wake it if it sleeps. Cheap when it is
// awake: a fence and two relaxed loads.
void background_notify();
// A section of the calling thread in which background_notify starts no helper (starting one
// allocates, in pthread_create, and the section's heap lock is held: small/heap.h HeapGuard):
// a start it would have made is made at the end of the outermost section. Sections nest.
void background_defer_begin();
void background_defer_end();
// Slow paths call this: when no helper runs, releases what has decayed, at most once per
// eighth of a decay. One relaxed load while a helper runs; a few more when nothing is pending.
void background_poll();
// The calling thread's cache became active (counted as an application thread).
void background_app_thread_started();
// The calling thread's cache was torn down. If fewer than two counted threads remain, the
// helper is stopped and joined before this returns. The caller holds no allocator lock.
void background_app_thread_exiting();
// fork(): the child has no helper, and one application thread if the forking thread was
// counted.
void background_reset_after_fork_child(bool caller_counted);

}  // namespace hakmem
