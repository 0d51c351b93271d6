// Empty SuperSlabs go back to the OS after HAKMEM_DECAY_MS:
//   decay_driver background   HAKMEM_BG_RELEASE=1: with no allocator call after the frees,
//                             the background thread unmaps them
//   decay_driver next_call    HAKMEM_BG_RELEASE=0: nothing happens while idle; the next
//                             allocator slow path after the decay unmaps them
// Run with HAKMEM_DECAY_MS=50 and HAKMEM_POOL_STASH=0. Exit 0 on success.
#include <unistd.h>

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

}  // namespace

int main(int argc, char** argv) {
  bool background = argc > 1 && strcmp(argv[1], "background") == 0;
  // A worker fills several SuperSlabs and frees everything before it exits, so every slab
  // empties into the shared pool (the exiting thread keeps nothing).
  std::thread([] {
    std::vector<void*> v;
    for (int i = 0; i < 40000; ++i) v.push_back(hak_malloc(512));   // ~20 MiB
    for (void* p : v) hak_free(p);
  }).join();
  hak_stats before = snap();
  printf("after free: mapped=%llu superslabs active=%llu empty=%llu unmapped=%d\n",
         (unsigned long long)before.mapped_bytes, (unsigned long long)before.superslabs[0],
         (unsigned long long)before.superslabs[1], unmapped(before));
  if (before.superslabs[1] < 5) {
    fprintf(stderr, "FAIL: expected empty SuperSlabs waiting for the decay\n");
    return 1;
  }
  usleep(400 * 1000);   // 8 decays, no allocator call
  hak_stats idle = snap();
  printf("after idle: mapped=%llu empty=%llu unmapped=%d\n", (unsigned long long)idle.mapped_bytes,
         (unsigned long long)idle.superslabs[1], unmapped(idle));
  if (background) {
    if (idle.superslabs[1] != 0 || idle.mapped_bytes + (8u << 20) > before.mapped_bytes) {
      fprintf(stderr, "FAIL: the background thread did not return the empty SuperSlabs\n");
      return 1;
    }
    return 0;
  }
  if (idle.superslabs[1] != before.superslabs[1]) {
    fprintf(stderr, "FAIL: memory was released while idle without a background thread\n");
    return 1;
  }
  std::thread([] { hak_free(hak_malloc(512)); }).join();   // a new thread: a slow path
  hak_stats after = snap();
  printf("after a call: mapped=%llu empty=%llu unmapped=%d\n", (unsigned long long)after.mapped_bytes,
         (unsigned long long)after.superslabs[1], unmapped(after));
  // The new thread's own SuperSlab may be empty again by now; the old ones must be gone.
  if (unmapped(after) - unmapped(before) < static_cast<int>(before.superslabs[1]) ||
      after.mapped_bytes + (8u << 20) > before.mapped_bytes) {
    fprintf(stderr, "FAIL: the next slow path did not return the decayed SuperSlabs\n");
    return 1;
  }
  return 0;
}
