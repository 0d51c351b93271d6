// A preloaded process for the aggregate tests (aggregates_test.py): it allocates and frees
// `n` blocks over several classes and two large blocks, then, by mode:
//   exit   frees what it kept and returns from main (its exit summary is printed);
//   fork   forks a child that does the same work and exits normally, waits for it, exits;
// (each lingers 200 ms before it exits: longer than hakmemd takes to open a new segment)
//   hang   prints "ready" and sleeps until it is killed (SIGKILL: no summary).
// Its comm is the name it is run under: the test runs it through symlinks, one per comm.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

std::vector<void*> work(int n) {
  static const size_t sizes[] = {24, 48, 100, 256, 700, 2000};
  std::vector<void*> kept;
  for (int i = 0; i < n; ++i) {
    void* p = malloc(sizes[i % 6]);
    if (p == nullptr) exit(2);
    memset(p, 1, 16);
    if (i % 2 == 0) free(p); else kept.push_back(p);
  }
  for (size_t big : {size_t{100000}, size_t{3} << 20}) free(malloc(big));
  return kept;
}

void release(std::vector<void*>& kept) {
  for (void* p : kept) free(p);
  kept.clear();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  int n = atoi(argv[1]);
  std::vector<void*> kept = work(n);
  if (strcmp(argv[2], "hang") == 0) {
    printf("ready\n");
    fflush(stdout);
    for (;;) pause();
  }
  if (strcmp(argv[2], "fork") == 0) {
    pid_t child = fork();
    if (child < 0) return 2;
    if (child == 0) {
      std::vector<void*> mine = work(n);
      release(mine);
      release(kept);   // the parent's blocks, inherited
      usleep(600000);
      exit(0);
    }
    int status = 0;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return 3;
  } else if (strcmp(argv[2], "exit") != 0) {
    return 2;
  }
  release(kept);
  usleep(600000);
  return 0;
}
