// See threads.h.
#include "os/threads.h"

#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <sys/single_threaded.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace hakmem::os {

int current_tid() { return static_cast<int>(syscall(SYS_gettid)); }

bool process_single_threaded() { return __libc_single_threaded != 0; }

bool start_thread(unsigned long* thread, void* (*run)(void*), size_t stack_bytes, const char* name) {
  static_assert(sizeof(pthread_t) == sizeof(unsigned long), "pthread_t is an unsigned long");
  sigset_t all, old;
  sigfillset(&all);
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return false;
  pthread_attr_setstacksize(&attr, stack_bytes);
  // The new thread inherits the creator's mask; the creator gets its own back at once.
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t t;
  bool ok = pthread_create(&t, &attr, run, nullptr) == 0;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  pthread_attr_destroy(&attr);
  if (ok) {
    pthread_setname_np(t, name);
    *thread = t;
  }
  return ok;
}

void join_thread(unsigned long thread) { pthread_join(thread, nullptr); }

void futex_wait(std::atomic<uint32_t>* word, uint32_t expected, uint64_t timeout_ns) {
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "a futex word is 32 bits");
  timespec ts{static_cast<time_t>(timeout_ns / 1000000000u),
              static_cast<long>(timeout_ns % 1000000000u)};
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected,
          timeout_ns != 0 ? &ts : nullptr, nullptr, 0);
}

void futex_wake(std::atomic<uint32_t>* word, int waiters) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, waiters, nullptr,
          nullptr, 0);
}

bool thread_key_create(ThreadKey* key, void (*destructor)(void*)) {
  static_assert(sizeof(pthread_key_t) == sizeof(ThreadKey), "pthread_key_t is an unsigned int");
  pthread_key_t k;
  if (pthread_key_create(&k, destructor) != 0) return false;
  *key = k;
  return true;
}

bool thread_key_set(ThreadKey key, void* value) { return pthread_setspecific(key, value) == 0; }

void at_fork(void (*before)(), void (*after_parent)(), void (*after_child)()) {
  pthread_atfork(before, after_parent, after_child);
}

// glibc exports these (GLIBC_2.2.5) for fork implementations outside libc; weak, so a libc
// without them leaves both calls no-ops.
extern "C" void _IO_list_lock() __attribute__((weak));
extern "C" void _IO_list_unlock() __attribute__((weak));

void stdio_lock_for_fork() {
  if (_IO_list_lock != nullptr) _IO_list_lock();
}
void stdio_unlock_after_fork_parent() {
  if (_IO_list_unlock != nullptr) _IO_list_unlock();
}

}  // namespace hakmem::os
