// bad_input: commits one kind of invalid free()/realloc() per mode, for run_bad_input.sh to
// check HAKMEM's verdict under LD_PRELOAD. It calls the plain malloc family, so the same
// binary runs on glibc too (which reports differently; only the OOM and valid modes pass there).
//
// Before the bad call it prints `attempt free(0xADDR)` (or realloc) on stdout, unbuffered,
// so the driver can match the address HAKMEM reports. Default mode of HAKMEM: the call aborts
// and nothing after it runs. With HAKMEM_ON_INVALID_FREE=ignore the call returns; the program
// then checks that nothing was damaged (foreign memory untouched, no block handed out twice)
// and prints `survived MODE`. Modes `oom` and `valid` are not bad input: they exit 0.
//
// Pointers pass through opaque() so GCC neither warns (-Wfree-nonheap-object, -Wuse-after-free)
// nor folds a malloc/free pair away.
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace {

constexpr size_t kSize = 64;          // one small class for all double-free modes
constexpr int kOthers = 10;           // frees between the two frees of A (cache depth)
constexpr int kSlabBlocks = 2000;     // double_slab: blocks freed in all
constexpr int kFreedBeforeA = 1100;   // of those, freed before A: > any cache capacity (max 1024)
constexpr unsigned char kPattern = 0x5a;

template <class T>
T* opaque(T* p) {
  asm volatile("" : "+r"(p));
  return p;
}

// stdio may allocate; this formats on the stack and writes straight to the fd.
void say_fd(int fd, const char* fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) {
    ssize_t ignored = write(fd, buf, static_cast<size_t>(n) < sizeof buf ? n : sizeof buf - 1);
    (void)ignored;
  }
}

[[noreturn]] void fail(const char* what) {
  say_fd(2, "bad_input: FAIL: %s\n", what);
  _exit(1);
}

void bad_free(void* p) {
  say_fd(1, "attempt free(%p)\n", p);
  free(opaque(p));
}

void* bad_realloc(void* p, size_t n) {
  say_fd(1, "attempt realloc(%p)\n", p);
  return realloc(opaque(p), n);
}

// A legal free, also laundered: GCC must not connect it to a later bad free of the same pointer.
void release(void* p) {
  free(opaque(p));
}

void* must_malloc(size_t n) {
  void* p = opaque(malloc(n));
  if (p == nullptr) fail("malloc returned NULL");
  memset(p, kPattern, n);
  return p;
}

bool intact(const void* p, size_t n) {
  const unsigned char* c = static_cast<const unsigned char*>(p);
  for (size_t i = 0; i < n; ++i) {
    if (c[i] != kPattern) return false;
  }
  return true;
}

// Index of the block nearest to a (other than a itself): it stays live so that the slab
// holding a never becomes empty and cannot be released between the two frees.
int nearest(void** blocks, int n, void* a) {
  int best = -1;
  uintptr_t best_d = UINTPTR_MAX;
  for (int i = 0; i < n; ++i) {
    if (blocks[i] == a) continue;
    uintptr_t x = reinterpret_cast<uintptr_t>(blocks[i]), y = reinterpret_cast<uintptr_t>(a);
    uintptr_t d = x > y ? x - y : y - x;
    if (d < best_d) best_d = d, best = i;
  }
  return best;
}

// After an ignored bad free: the allocator must still hand out distinct, writable blocks.
// An ignored double free that nevertheless pushed the block again shows up here twice.
void check_no_duplicates() {
  constexpr int kN = 4096;
  static void* seen[kN];
  for (int i = 0; i < kN; ++i) {
    seen[i] = must_malloc(kSize);
    for (int j = 0; j < i; ++j) {
      if (seen[j] == seen[i]) fail("a block was handed out twice after the ignored call");
    }
  }
  for (int i = 0; i < kN; ++i) free(seen[i]);
}

void mode_foreign_stack() {
  alignas(64) unsigned char buf[256];
  memset(buf, kPattern, sizeof buf);
  bad_free(opaque(buf));
  if (!intact(opaque(buf), sizeof buf)) fail("ignored free wrote into the stack buffer");
}

alignas(64) unsigned char g_static_buf[256];

void mode_foreign_static() {
  memset(g_static_buf, kPattern, sizeof g_static_buf);
  bad_free(g_static_buf);
  if (!intact(g_static_buf, sizeof g_static_buf)) fail("ignored free wrote into static memory");
}

// Page-aligned, like the start of one of HAKMEM's own large spans.
void mode_foreign_mmap() {
  constexpr size_t kLen = 64 * 1024;
  void* p = mmap(nullptr, kLen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) fail("mmap");
  memset(p, kPattern, kLen);
  bad_free(p);
  if (!intact(p, kLen)) fail("ignored free wrote into the mmap'd region");
  munmap(p, kLen);
}

void mode_interior() {
  unsigned char* p = static_cast<unsigned char*>(must_malloc(kSize));
  bad_free(p + 16);
  if (!intact(p, kSize)) fail("ignored interior free changed the live block");
  free(p);
}

// Large blocks live in page runs of shared arenas. A page-aligned pointer a page into a live
// run looks like a run start to anything that trusts the page alone.
constexpr size_t kLarge = 1 << 20;

void mode_interior_large() {
  unsigned char* p = static_cast<unsigned char*>(must_malloc(kLarge));
  bad_free(p + 65536);
  if (!intact(p, kLarge)) fail("ignored interior free changed the live large block");
  free(p);
}

// A's run merged into its free left neighbour when it was freed, so A no longer starts a run.
void mode_double_large() {
  void* left = must_malloc(kLarge);
  void* a = must_malloc(kLarge);
  void* guard = must_malloc(kLarge);
  release(left);
  release(a);
  bad_free(a);
  void* x = must_malloc(kLarge);
  void* y = must_malloc(kLarge);
  if (x == y) fail("a large block was handed out twice after the ignored call");
  free(x);
  free(y);
  free(guard);
}

// Up to 256 KiB, a freed run waits in the freeing thread's heap, still a run of the arena.
void mode_double_large_local() {
  void* a = must_malloc(kLarge / 8);
  release(a);
  bad_free(a);
  void* x = must_malloc(kLarge / 8);
  void* y = must_malloc(kLarge / 8);
  if (x == y) fail("a large block was handed out twice after the ignored call");
  free(x);
  free(y);
}

// A is freed first and ten blocks after it, so it sits deep in the thread cache, not on top.
void mode_double_tcache() {
  void* blocks[kOthers + 2];
  for (void*& b : blocks) b = must_malloc(kSize);
  void* a = blocks[0];
  int guard = nearest(blocks, kOthers + 2, a);
  release(a);
  for (int i = 1; i < kOthers + 2; ++i) {
    if (i != guard) release(blocks[i]);
  }
  bad_free(a);
  free(blocks[guard]);
}

// A must leave the thread cache for its slab's free list. The cache is a LIFO list and a full
// one flushes the cap/2 blocks on top, so a block freed first would stay at the bottom for
// good. Once >= cap blocks were freed, though, the cache is always over half full, and the
// next flush (< cap/2 frees later) takes the block freed now. So A is the 1101st block freed
// of 2000: enough for any HAKMEM_TCACHE_CAP (default 128, at most 1024).
void mode_double_slab() {
  static void* blocks[kSlabBlocks];
  for (void*& b : blocks) b = must_malloc(kSize);
  void* a = blocks[kFreedBeforeA];
  int guard = nearest(blocks, kSlabBlocks, a);
  for (int i = 0; i < kSlabBlocks; ++i) {
    if (i != guard) release(blocks[i]);
  }
  bad_free(a);
  release(blocks[guard]);
}

// Who frees A the second time: the remote thread itself; the owner after that thread exited;
// or the owner while it is still alive, so that A may still wait in its outbox of remote frees
// (HAKMEM_REMOTE_BATCH), untagged: the owner's free then takes A, and the other thread's push,
// at its exit, must find the tag.
enum class Again { kRemote, kOwnerAfterExit, kOwnerWhileAlive };

struct RemoteJob {
  void* blocks[kOthers + 1];  // [0] is A; the others are freed after it
  Again again;
  std::atomic<int> step{0};   // kOwnerWhileAlive: 1 once the blocks are freed, 2 to exit
};

// The remote frees run on a raw pthread: std::thread would allocate and free its state
// around them and might drain the remote list on the way.
void* remote_worker(void* arg) {
  RemoteJob* job = static_cast<RemoteJob*>(arg);
  for (void* b : job->blocks) release(b);  // A first, so it ends up below the others
  if (job->again == Again::kRemote) bad_free(job->blocks[0]);
  job->step.store(1, std::memory_order_release);
  if (job->again == Again::kOwnerWhileAlive) {
    while (job->step.load(std::memory_order_acquire) != 2) sched_yield();
  }
  return nullptr;
}

void mode_double_remote(Again again) {
  void* all[kOthers + 2];
  for (void*& b : all) b = must_malloc(kSize);
  int guard = nearest(all, kOthers + 2, all[0]);
  RemoteJob job{};
  for (int i = 0, j = 0; i < kOthers + 2; ++i) {
    if (i != guard) job.blocks[j++] = all[i];
  }
  job.again = again;
  pthread_t t;
  if (pthread_create(&t, nullptr, remote_worker, &job) != 0) fail("pthread_create");
  if (again == Again::kOwnerWhileAlive) {
    while (job.step.load(std::memory_order_acquire) != 1) sched_yield();
    bad_free(job.blocks[0]);
    job.step.store(2, std::memory_order_release);
  }
  pthread_join(t, nullptr);
  if (again == Again::kOwnerAfterExit) bad_free(job.blocks[0]);
  free(all[guard]);
}

void mode_realloc_foreign() {
  alignas(64) unsigned char buf[256];
  memset(buf, kPattern, sizeof buf);
  void* r = bad_realloc(opaque(buf), 512);
  if (!intact(opaque(buf), sizeof buf)) fail("ignored realloc wrote into the stack buffer");
  if (r != nullptr && r != buf) free(r);
}

// Everything below is legal: the same patterns done right must pass silently.
void mode_valid() {
  static void* blocks[kSlabBlocks];
  for (void*& b : blocks) b = must_malloc(kSize);
  for (void* b : blocks) free(b);
  RemoteJob job{};
  for (void*& b : job.blocks) b = must_malloc(kSize);
  job.again = Again::kOwnerAfterExit;   // the worker frees each once and exits; nothing frees again
  pthread_t t;
  if (pthread_create(&t, nullptr, remote_worker, &job) != 0) fail("pthread_create");
  pthread_join(t, nullptr);
  void* p = must_malloc(kSize);
  p = realloc(p, 100000);
  if (p == nullptr || !intact(p, kSize)) fail("realloc lost the contents");
  free(realloc(p, 16));
  free(nullptr);
  check_no_duplicates();
  say_fd(1, "valid ok\n");
}

// VmSize of this process, from /proc/self/statm (first field, in pages).
size_t current_vm_bytes() {
  FILE* f = fopen("/proc/self/statm", "r");
  if (f == nullptr) fail("open /proc/self/statm");
  unsigned long pages = 0;
  if (fscanf(f, "%lu", &pages) != 1) fail("read /proc/self/statm");
  fclose(f);
  return pages * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

struct Node {
  Node* next;
};

// Allocates size-byte blocks until NULL, chaining them through their first word (so holding
// them costs no memory of its own). Returns how many it got; the NULL must come with ENOMEM.
size_t fill(size_t size, Node** chain, size_t cap) {
  size_t n = 0;
  for (;;) {
    errno = 0;
    Node* p = static_cast<Node*>(malloc(size));
    if (p == nullptr) break;
    p->next = *chain;
    *chain = p;
    if (++n == cap) fail("malloc never returned NULL under RLIMIT_AS");
  }
  if (errno != ENOMEM) {
    say_fd(2, "bad_input: malloc(%zu) returned NULL with errno %d, not ENOMEM\n", size, errno);
    _exit(1);
  }
  return n;
}

void mode_oom() {
  constexpr size_t kHeadroom = 256u << 20;
  struct rlimit lim;
  getrlimit(RLIMIT_AS, &lim);
  lim.rlim_cur = current_vm_bytes() + kHeadroom;
  if (setrlimit(RLIMIT_AS, &lim) != 0) fail("setrlimit(RLIMIT_AS)");

  Node* chain = nullptr;
  size_t large_bytes = 0;
  for (size_t size : {32u << 20, 4u << 20, 512u << 10, 64u << 10}) {
    large_bytes += fill(size, &chain, SIZE_MAX) * size;
  }
  size_t small = fill(kSize, &chain, size_t{1} << 26);
  say_fd(1, "exhausted: %zu MiB in large blocks, %zu small blocks\n", large_bytes >> 20, small);
  if (large_bytes < (kHeadroom >> 2)) fail("less than a quarter of the headroom was allocatable");

  while (chain != nullptr) {
    Node* next = chain->next;
    free(chain);
    chain = next;
  }
  // Everything is back: the same sizes must be served again, every small class included.
  for (size_t size = 16; size <= (32u << 20); size = size < 32768 ? size + 16 : size * 2) {
    void* p = malloc(size);
    if (p == nullptr) {
      say_fd(2, "bad_input: malloc(%zu) still fails after everything was freed\n", size);
      _exit(1);
    }
    memset(p, kPattern, size < 4096 ? size : 4096);
    free(p);
  }
  say_fd(1, "recovered\n");
}

struct Mode {
  const char* name;
  void (*run)();
};

// Scribbles over the header of the SuperSlab holding a live block (HAKMEM's 2 MiB-aligned
// region: magic word and slab metadata), then frees the block. Abort mode only: after this the
// heap is beyond repair, so there is nothing to survive in ignore mode.
void mode_corrupt_header() {
  void* p = opaque(malloc(kSize));
  auto base = reinterpret_cast<uintptr_t>(p) & ~(uintptr_t{2 << 20} - 1);
  memset(reinterpret_cast<void*>(base), kPattern, 8192);
  bad_free(p);
}

const Mode kModes[] = {
    {"foreign_stack", mode_foreign_stack},
    {"foreign_static", mode_foreign_static},
    {"foreign_mmap", mode_foreign_mmap},
    {"interior", mode_interior},
    {"interior_large", mode_interior_large},
    {"double_large", mode_double_large},
    {"double_large_local", mode_double_large_local},
    {"double_tcache", mode_double_tcache},
    {"double_slab", mode_double_slab},
    {"double_remote", [] { mode_double_remote(Again::kRemote); }},
    {"double_remote_owner", [] { mode_double_remote(Again::kOwnerAfterExit); }},
    {"double_remote_live", [] { mode_double_remote(Again::kOwnerWhileAlive); }},
    {"realloc_foreign", mode_realloc_foreign},
    {"corrupt_header", mode_corrupt_header},
    {"valid", mode_valid},
    {"oom", mode_oom},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2) {
    for (const Mode& m : kModes) {
      if (strcmp(argv[1], m.name) != 0) continue;
      m.run();
      if (strcmp(m.name, "oom") != 0 && strcmp(m.name, "valid") != 0) {
        check_no_duplicates();
        say_fd(1, "survived %s\n", m.name);
      }
      return 0;
    }
  }
  say_fd(2, "usage: %s MODE\nmodes:", argv[0]);
  for (const Mode& m : kModes) say_fd(2, " %s", m.name);
  say_fd(2, "\n");
  return 2;
}
