// Process-lifecycle cases run under LD_PRELOAD=libhakmem.so (plain malloc/free here):
//   late_tls     thread_local and pthread-key destructors that allocate after HAKMEM tore the
//                thread's cache down, plus atexit handlers and static destructors that do
//   dlopen       a dlopen'ed library allocates and frees; blocks cross the boundary both ways
//   glibc_extras mallinfo2, malloc_trim, mallopt, malloc_stats answer from HAKMEM
//   threads      blocks allocated before main's threads start, freed by them, and back
//   fork_in_signal  fork() from a signal handler that interrupted an allocation
//   fork_stdio   fork() while other threads read lines and flush every stream
// Each prints "ok <case>" and exits 0 on success.
#include <dlfcn.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <malloc.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

void churn(int n, size_t max) {
  std::vector<void*> v;
  for (int i = 0; i < n; ++i) {
    size_t sz = 1 + (static_cast<size_t>(i) * 7919) % max;
    void* p = malloc(sz);
    if (p == nullptr) abort();
    memset(p, i, sz);
    v.push_back(p);
  }
  for (void* p : v) free(p);
}

struct LateAllocator {
  ~LateAllocator() { churn(5000, 3000); }
};
thread_local LateAllocator t_late;
LateAllocator g_static_late;
pthread_key_t g_key;

int late_tls() {
  // Created after HAKMEM's own key (made at its first allocation): its destructor runs after
  // HAKMEM's, on a torn-down cache.
  pthread_key_create(&g_key, [](void* p) {
    free(p);
    churn(5000, 5000);
    std::string s(100000, 'x');   // a large block too
  });
  std::vector<std::thread> ts;
  for (int i = 0; i < 8; ++i) {
    ts.emplace_back([] {
      (void)&t_late;
      pthread_setspecific(g_key, malloc(64));
      churn(20000, 2000);
    });
  }
  for (auto& t : ts) t.join();
  atexit([] { churn(20000, 70000); });
  return 0;
}

int dlopen_case(const char* lib) {
  void* h = dlopen(lib, RTLD_NOW);
  if (h == nullptr) {
    fprintf(stderr, "dlopen %s: %s\n", lib, dlerror());
    return 1;
  }
  auto make = reinterpret_cast<char* (*)(size_t)>(dlsym(h, "probe_make"));
  auto take = reinterpret_cast<size_t (*)(char*)>(dlsym(h, "probe_take"));
  if (make == nullptr || take == nullptr) return 1;
  for (size_t n = 1; n < 200000; n = n * 2 + 1) {
    char* p = make(n);   // allocated in the library, freed here
    for (size_t i = 0; i < n; ++i) {
      if (p[i] != static_cast<char>('a' + i % 26)) return 1;
    }
    free(p);
    char* q = static_cast<char*>(malloc(n + 1));   // allocated here, freed in the library
    memset(q, 'z', n);
    q[n] = '\0';
    if (take(q) != n) return 1;
  }
  dlclose(h);
  return 0;
}

int glibc_extras() {
  std::vector<void*> v;
  for (int i = 0; i < 100000; ++i) v.push_back(malloc(100));
  struct mallinfo2 mi = mallinfo2();
  if (mi.arena == 0 || mi.uordblks < 100000u * 100) {
    fprintf(stderr, "mallinfo2: arena=%zu uordblks=%zu\n", mi.arena, mi.uordblks);
    return 1;
  }
  for (void* p : v) free(p);
  if (mallopt(M_ARENA_MAX, 1) != 1) return 1;
  if (malloc_trim(0) != 1) {
    fprintf(stderr, "malloc_trim returned nothing\n");
    return 1;
  }
  struct mallinfo2 after = mallinfo2();
  if (after.arena >= mi.arena) {
    fprintf(stderr, "trim did not lower arena: %zu -> %zu\n", mi.arena, after.arena);
    return 1;
  }
  malloc_stats();   // the test checks stderr for HAKMEM's summary line
  return 0;
}

int threads_case() {
  std::vector<char*> blocks;
  for (int i = 0; i < 10000; ++i) blocks.push_back(static_cast<char*>(malloc(48)));
  std::vector<char*> back;
  std::thread t([&] {
    for (char* b : blocks) free(b);
    for (int i = 0; i < 10000; ++i) back.push_back(static_cast<char*>(malloc(48)));
  });
  t.join();
  for (char* b : back) free(b);
  return 0;
}

// fork() from a signal handler that interrupted an allocation, in a single-threaded process
// (glibc's tst-mallocfork2): the fork handlers must not wait for a lock the interrupted frame
// holds. A timer signal forks a child (which _exits) every 500 us while the main loop
// allocates and frees large blocks, until 300 forks; SIGALRM after 60 s ends a process that
// hung (before the fix, within the first second or so).
volatile sig_atomic_t g_forks = 0;

constexpr int kForks = 300;

void fork_in_handler(int) {
  if (g_forks >= kForks) return;   // done: the main loop may end
  int saved = errno;
  pid_t c = fork();
  if (c == 0) _exit(0);
  if (c > 0) g_forks = g_forks + 1;
  errno = saved;
}

int fork_in_signal_case() {
  struct sigaction sa = {};
  sa.sa_handler = fork_in_handler;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, nullptr);
  timer_t timer;
  struct sigevent ev = {};
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  if (timer_create(CLOCK_MONOTONIC, &ev, &timer) != 0) return 1;
  struct itimerspec every = {{0, 500000}, {0, 500000}};
  timer_settime(timer, 0, &every, nullptr);
  alarm(60);
  const size_t sizes[] = {40000, 100000, 300000, 1 << 20, 64, 3000};
  for (unsigned long i = 0; g_forks < kForks; ++i) {
    void* p = malloc(sizes[i % 6]);
    if (p == nullptr) return 1;
    memset(p, 1, 64);
    free(p);
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }
  timer_delete(timer);
  while (waitpid(-1, nullptr, 0) > 0) {
  }
  return 0;
}

// fork() while other threads hold a stream's lock and allocate inside it (getline of a long
// line reallocates) and another flushes every stream (fflush(NULL) holds the stream-list lock
// while it waits for each stream's): the pattern of glibc's tst-malloc-fork-deadlock. Fork
// handlers that take the allocator's locks before the stream-list lock deadlock with them;
// before the fix this hung in 1 of 4 runs (glibc's test, in 3 of 5). Five seconds of it; SIGALRM after
// 60 s ends a process that hung.
std::atomic<bool> g_stop{false};

int fork_stdio_case() {
  alarm(60);
  char path[] = "/tmp/hakmem-fork-stdio-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return 1;
  std::string line(50000, 'x');
  line += '\n';
  if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return 1;
  close(fd);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      FILE* f = fopen(path, "r");
      if (f == nullptr) abort();
      while (!g_stop.load(std::memory_order_relaxed)) {
        rewind(f);
        char* got = nullptr;
        size_t cap = 0;
        if (getline(&got, &cap, f) < 0) abort();
        free(got);
      }
      fclose(f);
    });
  }
  threads.emplace_back([] {
    while (!g_stop.load(std::memory_order_relaxed)) fflush(nullptr);
  });
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([] {
      while (!g_stop.load(std::memory_order_relaxed)) {
        pid_t c = fork();
        if (c < 0) abort();
        if (c == 0) _exit(17);
        int status = 0;
        if (waitpid(c, &status, 0) != c || !WIFEXITED(status) || WEXITSTATUS(status) != 17) abort();
      }
    });
  }
  struct timespec five = {5, 0};
  nanosleep(&five, nullptr);
  g_stop.store(true);
  for (auto& t : threads) t.join();
  unlink(path);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s late_tls|dlopen LIB|glibc_extras|threads|fork_in_signal|fork_stdio\n", argv[0]);
    return 2;
  }
  std::string mode = argv[1];
  int rc = 2;
  if (mode == "late_tls") rc = late_tls();
  if (mode == "dlopen" && argc > 2) rc = dlopen_case(argv[2]);
  if (mode == "glibc_extras") rc = glibc_extras();
  if (mode == "threads") rc = threads_case();
  if (mode == "fork_in_signal") rc = fork_in_signal_case();
  if (mode == "fork_stdio") rc = fork_stdio_case();
  if (rc == 0) printf("ok %s\n", mode.c_str());
  return rc;
}
