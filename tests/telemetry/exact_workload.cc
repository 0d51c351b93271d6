// A workload with known counts, run under LD_PRELOAD by telemetry_test. It stops at each
// phase, prints the phase name and waits for a line on stdin, so the test reads the segment
// of a live process at known points:
//   start      nothing of class(kSize) allocated yet
//   allocated  a worker thread holds N blocks of kSize
//   alive      the main thread freed them (remote frees); the worker, still alive, then made
//              65536 malloc/free pairs of another class
//   exited     the worker has exited
// With argument `fork` it forks at `start`: the child allocates N blocks of kSize, prints
// `child <pid>` and waits; the parent waits for it and goes on.
// With argument `threads` it starts, after `start`, 32 threads that each allocate N blocks of
// kSize, all alive at once (each claims a heap slot), frees them, and prints `threads-done`
// once all are joined.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace {

constexpr size_t kSize = 9000;   // class 10240: nothing else in this program uses it

void phase(const char* name) {
  printf("%s\n", name);
  fflush(stdout);
  char line[64];
  if (fgets(line, sizeof line, stdin) == nullptr) exit(3);
}

void* must_alloc(size_t n) {
  void* p = malloc(n);
  if (p == nullptr) exit(2);
  memset(p, 1, n < 64 ? n : 64);
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  bool fork_mode = argc > 2 && strcmp(argv[2], "fork") == 0;
  bool threads_mode = argc > 2 && strcmp(argv[2], "threads") == 0;
  std::vector<void*> blocks(static_cast<size_t>(n));
  phase("start");
  if (threads_mode) {
    constexpr int kThreads = 32;
    std::atomic<int> holding{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        std::vector<void*> mine(static_cast<size_t>(n));
        for (void*& p : mine) p = must_alloc(kSize);
        holding.fetch_add(1);
        while (holding.load() < kThreads) std::this_thread::yield();   // all alive at once
        for (void* p : mine) free(p);
      });
    }
    for (auto& t : threads) t.join();
    phase("threads-done");
    return 0;
  }
  if (fork_mode) {
    pid_t child = fork();
    if (child == 0) {
      for (void*& p : blocks) p = must_alloc(kSize);
      printf("child %d\n", static_cast<int>(getpid()));
      phase("child-allocated");
      for (void* p : blocks) free(p);
      exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    phase(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "child-done" : "child-failed");
    return 0;
  }
  int to_worker[2], to_main[2];
  if (pipe(to_worker) != 0 || pipe(to_main) != 0) return 2;
  std::thread worker([&] {
    for (void*& p : blocks) p = must_alloc(kSize);
    char c = 'a';
    if (write(to_main[1], &c, 1) != 1 || read(to_worker[0], &c, 1) != 1) exit(2);
    for (int i = 0; i < 65536; ++i) free(must_alloc(64));
    if (write(to_main[1], &c, 1) != 1 || read(to_worker[0], &c, 1) != 1) exit(2);
  });
  char c;
  if (read(to_main[0], &c, 1) != 1) return 2;
  phase("allocated");
  for (void* p : blocks) free(p);
  if (write(to_worker[1], &c, 1) != 1 || read(to_main[0], &c, 1) != 1) return 2;
  phase("alive");
  if (write(to_worker[1], &c, 1) != 1) return 2;
  worker.join();
  phase("exited");
  return 0;
}
