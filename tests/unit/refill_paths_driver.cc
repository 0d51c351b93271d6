// Drives one refill path through the hak_* API and checks that its counters (refills and
// objects) moved for the class the workload used -- or, with `--expect-off`, that they did
// not while the workload still completed. ctest runs it once per path, with HAKMEM_*
// settings in the environment (config is read once per process, hence a process per case).
//   refill_paths_driver PATH [--expect-off]
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "hakmem/hakmem.h"
#include "segment_oracle.h"

namespace {

constexpr size_t kSize = 1000;   // class 1024: 64 blocks per slab
int g_cls;

hak_class_stats snap() {
  hak_stats s;
  hak_stats_snapshot(&s);
  return s.classes[g_cls];
}

std::vector<void*> alloc_n(size_t n, size_t size = kSize) {
  std::vector<void*> v;
  for (size_t i = 0; i < n; ++i) {
    void* p = hak_malloc(size);
    if (p == nullptr) {
      fprintf(stderr, "allocation failed\n");
      exit(2);
    }
    memset(p, 0xab, size);
    v.push_back(p);
  }
  return v;
}

void free_all(const std::vector<void*>& v) {
  for (void* p : v) hak_free(p);
}

// Blocks freed by their owner return to the bound slab's free list; the next refills reuse them.
void drive_slab_local() {
  auto a = alloc_n(40);
  free_all(a);
  auto flushed = alloc_n(300);   // the cache (capacity 64 here) flushes into the bound slab
  free_all(flushed);
  free_all(alloc_n(300));
}

// Another thread frees into this thread's bound slab; this thread's next refill drains them.
void drive_remote_drain() {
  auto a = alloc_n(50);
  std::thread([&] { free_all(a); }).join();
  free_all(alloc_n(120));
}

void drive_virgin_carve() { free_all(alloc_n(500)); }

// Keep a block in an old slab so it is not released, free the rest of it: once the bound slab
// runs dry, the refill finds the old slab among the owned ones.
void drive_partial_slab() {
  auto a = alloc_n(64 * 4);
  std::vector<void*> keep;
  for (size_t i = 0; i < 64; ++i) (i == 0 ? keep.push_back(a[i]) : hak_free(a[i]));
  a.erase(a.begin(), a.begin() + 64);
  auto more = alloc_n(64 * 3);
  free_all(more);
  free_all(a);
  free_all(keep);
}

// A thread exits with live blocks: its slabs become orphans; this thread frees some of those
// blocks (remote) and adopts the slabs on its next refills.
void drive_adopt() {
  std::vector<void*> a;
  std::thread([&] { a = alloc_n(64 * 3); }).join();
  for (size_t i = 0; i < a.size(); i += 2) hak_free(a[i]);
  auto b = alloc_n(64 * 4);
  for (size_t i = 1; i < a.size(); i += 2) hak_free(a[i]);
  free_all(b);
}

// Slabs emptied by one class go back to the pool; another class takes them.
void drive_pool_slab() {
  auto a = alloc_n(64 * 12, 3000);   // class 3072, 21 per slab
  free_all(a);
  free_all(alloc_n(64 * 12));
}

void drive_new_superslab() { free_all(alloc_n(64 * 40)); }

struct Driver {
  const char* path;
  void (*run)();
};
const Driver kDrivers[] = {
    {"slab_local", drive_slab_local},     {"remote_drain", drive_remote_drain},
    {"virgin_carve", drive_virgin_carve}, {"partial_slab", drive_partial_slab},
    {"adopt", drive_adopt},               {"pool_slab", drive_pool_slab},
    {"new_superslab", drive_new_superslab},
};

}  // namespace

// The telemetry segment this process publishes shows the same path counts as the snapshot
// (taken last, so every thread of the driver has published; its threads have exited).
int check_segment(int path, const hak_class_stats& snapshot) {
  if (getenv("HAKMEM_STATS") != nullptr && strcmp(getenv("HAKMEM_STATS"), "0") == 0) return 0;
  oracle::Segment seg = oracle::read(oracle::path_for(getpid()));
  if (!seg.error.empty()) {
    fprintf(stderr, "FAIL: segment: %s\n", seg.error.c_str());
    return 1;
  }
  const oracle::ClassTotals& c = seg.classes[g_cls];
  printf("segment: %s refills=%llu objects=%llu\n", hak_path_name(path),
         (unsigned long long)c.refills[path], (unsigned long long)c.refill_objects[path]);
  if (c.refills[path] != snapshot.refills[path] ||
      c.refill_objects[path] != snapshot.refill_objects[path] || c.allocs != snapshot.allocs) {
    fprintf(stderr, "FAIL: the segment's counts differ from hak_stats_snapshot()\n");
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PATH [--expect-off]\n", argv[0]);
    return 2;
  }
  bool expect_off = argc > 2 && strcmp(argv[2], "--expect-off") == 0;
  g_cls = hak_size_to_class(kSize);
  int path = -1;
  for (int p = 0; p < HAK_NUM_PATHS; ++p) {
    if (strcmp(hak_path_name(p), argv[1]) == 0) path = p;
  }
  const Driver* d = nullptr;
  for (const Driver& x : kDrivers) {
    if (strcmp(x.path, argv[1]) == 0) d = &x;
  }
  if (path < 0 || d == nullptr) {
    fprintf(stderr, "unknown path %s\n", argv[1]);
    return 2;
  }
  hak_class_stats before = snap();
  d->run();
  hak_class_stats after = snap();
  uint64_t refills = after.refills[path] - before.refills[path];
  uint64_t objects = after.refill_objects[path] - before.refill_objects[path];
  printf("%s: refills=%llu objects=%llu allocs=%llu\n", argv[1], (unsigned long long)refills,
         (unsigned long long)objects, (unsigned long long)(after.allocs - before.allocs));
  for (int p = 0; p < HAK_NUM_PATHS; ++p) {
    printf("  %-14s refills=%llu objects=%llu\n", hak_path_name(p),
           (unsigned long long)(after.refills[p] - before.refills[p]),
           (unsigned long long)(after.refill_objects[p] - before.refill_objects[p]));
  }
  bool moved = refills > 0 && objects >= refills;
  if (expect_off ? (refills != 0 || objects != 0) : !moved) {
    fprintf(stderr, "FAIL: path %s %s\n", argv[1],
            expect_off ? "moved although switched off" : "did not move");
    return 1;
  }
  return check_segment(path, after);
}
