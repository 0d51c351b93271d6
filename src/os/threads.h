// Threads and their kernel primitives: the allocator's own helper thread, futexes, the
// thread-exit key and fork handlers. Like os.h: no allocation, no exceptions.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace hakmem::os {

int current_tid();

// A joinable thread for the allocator's own work, named `name` (at most 15 characters; what
// ps -L and /proc/PID/task/TID/comm show), with every signal blocked (a signal meant for the
// program is never delivered to it) and a small stack. False if it cannot be made.
bool start_thread(unsigned long* thread, void* (*run)(void*), size_t stack_bytes, const char* name);
// True while the process has never had a second thread (glibc's __libc_single_threaded: once
// false, it stays false).
bool process_single_threaded();
void join_thread(unsigned long thread);

// Futexes on process-private words. wait returns when *word != expected, on a wake, on a
// signal, or after timeout_ns (0: no timeout); the caller re-checks its condition.
void futex_wait(std::atomic<uint32_t>* word, uint32_t expected, uint64_t timeout_ns = 0);
void futex_wake(std::atomic<uint32_t>* word, int waiters);

// A key whose destructor runs at each thread's exit for threads that set a value
// (pthread_key_create / pthread_setspecific). False when the key cannot be had.
using ThreadKey = unsigned;
bool thread_key_create(ThreadKey* key, void (*destructor)(void*));
// May allocate (glibc's second-level key array): the caller must be able to serve that.
bool thread_key_set(ThreadKey key, void* value);
// pthread_atfork.
void at_fork(void (*before)(), void (*after_parent)(), void (*after_child)());

// glibc's fork takes the stdio list lock after every fork handler has run, and its own malloc
// locks last of all. A thread in getline holds a FILE's lock while it calls malloc, and
// fflush(NULL) holds the list lock while it waits for that FILE, so a fork handler that takes
// the allocator's locks first closes a cycle (glibc's tst-malloc-fork-deadlock). Taking the
// list lock (recursive) before the allocator's keeps glibc's order: stdio, then malloc.
// The parent releases it after the fork; glibc resets it in the child. No-ops where libc has
// no such lock.
void stdio_lock_for_fork();
void stdio_unlock_after_fork_parent();

}  // namespace hakmem::os
