// Empty SuperSlabs go back to the OS after HAKMEM_DECAY_MS:
//   decay_driver background       HAKMEM_BG_RELEASE=1, a second thread alive: with no allocator
//                                 call after the frees, the helper thread unmaps them
//   decay_driver single_threaded  HAKMEM_BG_RELEASE=1, the worker joined: no helper may exist
//                                 (DESIGN.md, Lifetime): all but a reserve of 4 went back at
//                                 once, nothing happens while idle and no thread is added; the
//                                 next allocator slow path unmaps the reserve
//   decay_driver next_call        HAKMEM_BG_RELEASE=0, a second thread alive: the same
// Run with HAKMEM_DECAY_MS=50, HAKMEM_POOL_STASH=0 and HAKMEM_TCACHE_MAX_BYTES=0. Exit 0 on success.
#include <dirent.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "hakmem/hakmem.h"

namespace {

hak_stats snap() {
  hak_stats s;
  hak_stats_snapshot(&s);
  return s;
}

int unmapped(const hak_stats& s) {
  for (int k = 0; k < HAK_NUM_POOL_RELEASE_KINDS; ++k) {
    if (strcmp(hak_pool_release_kind_name(k), "superslab_unmapped") == 0) {
      return static_cast<int>(s.pool_releases[k]);
    }
  }
  return -1;
}

// Threads named as HAKMEM's helper (a sanitizer runtime may have threads of its own).
int helpers_now() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      char path[64], comm[32] = {0};
      snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
      if (FILE* f = fopen(path, "r")) {
        if (fgets(comm, sizeof comm, f) != nullptr && strcmp(comm, "hakmem-release\n") == 0) ++n;
        fclose(f);
      }
    }
    closedir(d);
  }
  return n;
}

std::atomic<bool> g_release_worker{false};

}  // namespace

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  bool single = strcmp(mode, "single_threaded") == 0;
  // A worker fills several SuperSlabs and frees everything, so every slab empties into the
  // shared pool (an exiting thread keeps nothing; a living one keeps its bound slabs only).
  std::atomic<bool> freed{false};
  hak_free(hak_malloc(64));   // main is an application thread too
  std::thread worker([&] {
    std::vector<void*> v;
    for (int i = 0; i < 40000; ++i) v.push_back(hak_malloc(512));   // ~20 MiB
    for (void* p : v) hak_free(p);
    freed.store(true);
    if (!single) {
      while (!g_release_worker.load()) usleep(1000);
    }
  });
  if (single) worker.join();
  while (!freed.load()) usleep(1000);
  hak_stats before = snap();
  printf("after free: mapped=%llu superslabs active=%llu empty=%llu unmapped=%d\n",
         (unsigned long long)before.mapped_bytes, (unsigned long long)before.superslabs[0],
         (unsigned long long)before.superslabs[1], unmapped(before));
  bool helper_may_run = strcmp(mode, "background") == 0;
  // With a helper, every empty SuperSlab waits for its decay; without one, at most 4 (the
  // reserve in background.cc) wait, and the rest went back at once.
  if (helper_may_run ? before.superslabs[1] < 5
                     : before.superslabs[1] < 1 || before.superslabs[1] > 4 || unmapped(before) < 4) {
    fprintf(stderr, "FAIL: not the empty SuperSlabs expected waiting for the decay\n");
    return 1;
  }
  usleep(400 * 1000);   // 8 decays, no allocator call
  hak_stats idle = snap();
  int helpers = helpers_now();
  printf("after idle: mapped=%llu empty=%llu unmapped=%d helpers=%d\n",
         (unsigned long long)idle.mapped_bytes, (unsigned long long)idle.superslabs[1],
         unmapped(idle), helpers);
  if (helpers != (helper_may_run ? 1 : 0)) {
    fprintf(stderr, "FAIL: %d helper threads where %d may run\n", helpers, helper_may_run ? 1 : 0);
    return 1;
  }
  if (helper_may_run) {
    g_release_worker.store(true);
    worker.join();
    if (idle.superslabs[1] != 0 || idle.mapped_bytes + (8u << 20) > before.mapped_bytes) {
      fprintf(stderr, "FAIL: the helper thread did not return the empty SuperSlabs\n");
      return 1;
    }
    return 0;
  }
  if (idle.superslabs[1] != before.superslabs[1]) {
    fprintf(stderr, "FAIL: memory was released while idle without a helper thread\n");
    return 1;
  }
  hak_free(hak_malloc(3000));   // a class main has not used: a slow path
  hak_stats after = snap();
  printf("after a call: mapped=%llu empty=%llu unmapped=%d\n", (unsigned long long)after.mapped_bytes,
         (unsigned long long)after.superslabs[1], unmapped(after));
  g_release_worker.store(true);
  if (worker.joinable()) worker.join();
  // main's own SuperSlab may be empty again by now; the worker's must be gone.
  if (unmapped(after) - unmapped(before) < static_cast<int>(before.superslabs[1]) ||
      after.mapped_bytes + (8u << 20) > before.mapped_bytes) {
    fprintf(stderr, "FAIL: the next slow path did not return the decayed SuperSlabs\n");
    return 1;
  }
  return 0;
}
