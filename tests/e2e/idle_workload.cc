// A known mix of allocations and frees across threads and size classes, then idle: what every
// reader of its segment must show exactly (idle_test.py). Sizes no other code in the program
// uses, one class each:
//   40 B     250,000 allocated by main, all freed by a second thread that then exits (the
//            case that showed 249,985 allocations against 250,000 frees before ABI 1.3)
//   3000 B   1,000 allocated by main, 600 of them freed by main
//   6000 B   5,000 allocated by a thread that frees 4,999 and stays alive, asleep
//   14000 B  777 allocated by a thread that frees 300 and exits; main frees 200 more
// Prints "expect <size> <allocs> <frees>" per size, then "idle", and waits: a line on stdin
// ends it (the sleeping thread is woken and joined), EOF too.
#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

void* must_alloc(size_t n) {
  void* p = malloc(n);
  if (p == nullptr) {
    fprintf(stderr, "idle_workload: malloc(%zu) failed\n", n);
    exit(1);
  }
  static_cast<char*>(p)[0] = 1;
  return p;
}

struct Blocks {
  std::vector<void*> v;
};

void* free_all(void* arg) {
  for (void* p : static_cast<Blocks*>(arg)->v) free(p);
  return nullptr;
}

pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
bool g_counted = false;   // the sleeper made all its operations
bool g_done = false;      // it may free its last block and exit

void* sleeper(void*) {
  std::vector<void*> mine(5000);
  for (void*& p : mine) p = must_alloc(6000);
  for (size_t i = 1; i < mine.size(); ++i) free(mine[i]);
  pthread_mutex_lock(&g_mu);
  g_counted = true;
  pthread_cond_broadcast(&g_cv);
  while (!g_done) pthread_cond_wait(&g_cv, &g_mu);
  pthread_mutex_unlock(&g_mu);
  free(mine[0]);
  return nullptr;
}

void* partial(void* arg) {
  auto* keep = static_cast<Blocks*>(arg);
  for (int i = 0; i < 777; ++i) {
    void* p = must_alloc(14000);
    if (i < 300) free(p); else keep->v.push_back(p);
  }
  return nullptr;
}

void run(void* (*fn)(void*), void* arg) {
  pthread_t t;
  if (pthread_create(&t, nullptr, fn, arg) != 0 || pthread_join(t, nullptr) != 0) {
    fprintf(stderr, "idle_workload: a thread failed\n");
    exit(1);
  }
}

}  // namespace

int main() {
  // The vectors' own storage is reserved first, in classes above the ones counted.
  Blocks forty;
  forty.v.reserve(250000);
  for (int i = 0; i < 250000; ++i) forty.v.push_back(must_alloc(40));
  run(free_all, &forty);

  std::vector<void*> three(1000);
  for (void*& p : three) p = must_alloc(3000);
  for (int i = 0; i < 600; ++i) free(three[i]);

  pthread_t sleeping;
  if (pthread_create(&sleeping, nullptr, sleeper, nullptr) != 0) return 1;

  Blocks kept;
  kept.v.reserve(777);
  run(partial, &kept);
  for (int i = 0; i < 200; ++i) free(kept.v[i]);

  pthread_mutex_lock(&g_mu);
  while (!g_counted) pthread_cond_wait(&g_cv, &g_mu);
  pthread_mutex_unlock(&g_mu);
  printf("expect 40 250000 250000\nexpect 3000 1000 600\nexpect 6000 5000 4999\n"
         "expect 14000 777 500\nidle\n");
  fflush(stdout);

  char line[64];
  (void)fgets(line, sizeof line, stdin);
  pthread_mutex_lock(&g_mu);
  g_done = true;
  pthread_cond_broadcast(&g_cv);
  pthread_mutex_unlock(&g_mu);
  pthread_join(sleeping, nullptr);
  return 0;
}
