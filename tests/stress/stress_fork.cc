/* stress_fork: fork() while other threads are inside the allocator, then use it in the child.
 *
 * usage: stress_fork [SEED [FORKS [BG_THREADS [IN_FLIGHT [CHILD_TIMEOUT_S [OVERALL_S]]]]]]
 * BG_THREADS threads allocate and free nonstop (class sizes to 32 KiB and large spans), partly
 * through a shared registry of live blocks. Main forks FORKS times at random moments, with up
 * to IN_FLIGHT children alive at once. Each child allocates two blocks of every size class and
 * a few large ones and checks them, runs a thread that allocates and frees, checks and frees
 * every registry block its parent held at the fork (memory whose owning threads do not exist
 * in the child), every tenth child forks a grandchild that does the same small check, then
 * _exit(0). A fork-time deadlock is a failure, never a hang: each child arms alarm(), the
 * parent kills a child older than CHILD_TIMEOUT_S + 5 s, and an overall alarm of OVERALL_S
 * kills every child and exits 3. Exits 0 with one summary line on stdout. */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "stress_alloc.h"
#include "stress_pattern.h"

namespace stress {
namespace {

constexpr const char* kUsage =
    "[SEED [FORKS [BG_THREADS [IN_FLIGHT [CHILD_TIMEOUT_S [OVERALL_S]]]]]]";
constexpr size_t kRegistrySlots = 512;
constexpr size_t kMaxInFlight = 16;

// Blocks in the registry are owned by it: a thread takes one out under the lock before it
// frees it, so a snapshot taken with the lock held, and the lock kept until fork() returns,
// lists exactly the blocks that are live in the child.
std::mutex g_registry_mu;
Block g_registry[kRegistrySlots];
Block g_snapshot[kRegistrySlots];

std::atomic<bool> g_stop{false};
std::atomic<uint64_t> g_bg_ops{0};
// Read by the SIGALRM handler, so plain lock-free atomics only.
std::atomic<pid_t> g_children[kMaxInFlight];

void make_block(Rng& r, Block& b, size_t n) {
  b.n = n;
  b.tag = r.next();
  b.p = alloc_malloc(n);
  if (b.p == nullptr) fail("malloc returned NULL");
  if (reinterpret_cast<uintptr_t>(b.p) % 16 != 0) fail("malloc result not 16-aligned");
  if (alloc_usable_size(b.p) < n) fail("usable size below the request");
  if (!alloc_owned(b.p)) fail("allocator does not own a block it returned");
  block_fill(b);
}

void check_free(const Block& b, const char* what) {
  block_check(b, what);
  alloc_free(b.p);
}

// Every small class boundary of hakmem.h (16 B steps to 128, then four per power of two to
// 32 KiB), twice, and a few large spans. Large sizes stay modest: page faults in a freshly
// forked child cost tens of microseconds each on our VMs, and the test needs many children.
// A fixed array, like everything the child touches: in the hak flavour the program's own heap
// is libc's (or a sanitizer's, which is not fork-safe), and the child tests only HAKMEM's.
constexpr size_t kClassSizesMax = 128;

size_t class_sizes(size_t* out) {
  size_t n = 0;
  for (size_t s = 16; s <= 128; s += 16) out[n++] = s, out[n++] = s;
  for (size_t p = 128; p < 32768; p *= 2)
    for (size_t q = 1; q <= 4; q++) out[n++] = p + p * q / 4, out[n++] = p + p * q / 4;
  for (size_t s : {32769ul, 65536ul + 123, 262144ul + 16, (1ul << 20) + 5}) out[n++] = s;
  return n;
}

size_t pick_size(Rng& r) {
  if (r.percent(1)) return r.range(32769, 256 << 10);
  if (r.percent(70)) return r.range(1, 512);
  return r.range(513, 32768);
}

// Allocates and frees n times through a small private set; used by the background threads
// between registry operations and by the child's thread.
void churn(Rng& r, Block* set, size_t set_size, uint64_t n) {
  for (uint64_t i = 0; i < n; i++) {
    Block& b = set[r.next() % set_size];
    if (b.p != nullptr) {
      check_free(b, "churn free");
      b = Block{};
    } else {
      make_block(r, b, pick_size(r));
    }
  }
}

void free_set(Block* set, size_t set_size) {
  for (size_t i = 0; i < set_size; i++)
    if (set[i].p != nullptr) check_free(set[i], "churn set free");
}

void background(uint64_t seed, uint64_t index) {
  Rng r(seed, 100 + index);
  Block local[64];
  uint64_t ops = 0;
  while (!g_stop.load(std::memory_order_relaxed)) {
    churn(r, local, 64, 8);
    ops += 8;
    // try_lock: while main holds the registry across a fork, keep allocating instead of
    // waiting, so the fork lands while this thread is inside the allocator.
    Block& slot = g_registry[r.next() % kRegistrySlots];
    if (!g_registry_mu.try_lock()) continue;
    Block taken = slot;
    slot = Block{};
    g_registry_mu.unlock();
    if (taken.p != nullptr) {
      check_free(taken, "registry free");
    } else {
      Block b, spare;
      make_block(r, b, pick_size(r));
      {
        std::lock_guard<std::mutex> g(g_registry_mu);
        if (slot.p == nullptr) slot = b;
        else spare = b;  // another thread filled the slot meanwhile
      }
      if (spare.p != nullptr) check_free(spare, "registry race free");
    }
    ops++;
  }
  free_set(local, 64);
  g_bg_ops.fetch_add(ops);
}

void child_class_check(uint64_t seed, uint64_t stream) {
  Rng r(seed, stream);
  size_t sizes[kClassSizesMax];
  Block blocks[kClassSizesMax];
  size_t n = class_sizes(sizes);
  for (size_t i = 0; i < n; i++) make_block(r, blocks[i], sizes[i]);
  for (size_t i = 0; i < n; i++) check_free(blocks[i], "child class block");
}

struct ChildChurn {
  uint64_t seed, index;
};

void* child_churn(void* p) {
  const ChildChurn* a = static_cast<const ChildChurn*>(p);
  Rng r(a->seed, 3000000 + a->index);
  Block set[32];
  churn(r, set, 32, 2000);
  free_set(set, 32);
  return nullptr;
}

[[noreturn]] void child_main(uint64_t seed, uint64_t index, size_t nsnap, unsigned timeout_s) {
  // The parent's SIGALRM handler kills the parent's children: never run it here.
  signal(SIGALRM, SIG_DFL);
  alarm(timeout_s);
  setpgid(0, 0);
  ChildChurn arg{seed, index};
  pthread_t worker;
  if (pthread_create(&worker, nullptr, child_churn, &arg) != 0) fail("pthread_create in child");
  child_class_check(seed, 1000000 + index);
  for (size_t i = 0; i < nsnap; i++) check_free(g_snapshot[i], "parent block freed in child");
  if (index % 10 == 0) {
    pid_t g = fork();
    if (g < 0) fail("fork of grandchild failed");
    if (g == 0) {
      // Sooner than the child's own alarm, so a hang is reported as the grandchild's.
      alarm(timeout_s > 1 ? timeout_s / 2 : 1);
      child_class_check(seed, 2000000 + index);
      _exit(0);
    }
    int st = 0;
    if (waitpid(g, &st, 0) != g || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      char msg[96];
      snprintf(msg, sizeof msg, "grandchild failed or was killed (status 0x%x)", st);
      fail(msg);
    }
  }
  pthread_join(worker, nullptr);
  _exit(0);
}

void kill_children() {
  for (auto& c : g_children) {
    pid_t p = c.load();
    if (p > 0) kill(-p, SIGKILL);  // the child's group: a hung grandchild must not outlive us
  }
}

void on_overall_alarm(int) {
  static const char msg[] = "stress FAILED: stress_fork overall timeout (deadlock?)\n";
  kill_children();
  ssize_t ignored = write(2, msg, sizeof msg - 1);
  (void)ignored;
  _exit(3);
}

[[noreturn]] void parent_fail(const char* msg, pid_t pid, int status) {
  kill_children();
  fprintf(stderr, "stress FAILED: %s (pid %d, status 0x%x", msg, (int)pid, status);
  if (WIFSIGNALED(status)) fprintf(stderr, ", signal %d", WTERMSIG(status));
  fprintf(stderr, ")\n");
  _exit(1);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

int run(int argc, char** argv) {
  uint64_t seed = arg_u64(argc, argv, 1, 1, kUsage);
  uint64_t forks = arg_u64(argc, argv, 2, 100, kUsage);
  uint64_t bg_threads = arg_u64(argc, argv, 3, 2, kUsage);
  uint64_t in_flight = arg_u64(argc, argv, 4, 2, kUsage);
  unsigned child_timeout = static_cast<unsigned>(arg_u64(argc, argv, 5, 20, kUsage));
  unsigned overall = static_cast<unsigned>(arg_u64(argc, argv, 6, 100, kUsage));
  if (in_flight < 1) in_flight = 1;
  if (in_flight > kMaxInFlight) in_flight = kMaxInFlight;

  signal(SIGALRM, on_overall_alarm);
  alarm(overall);
  fflush(stdout);  // a child must not inherit and re-emit buffered output
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> bg;
  for (uint64_t i = 0; i < bg_threads; i++) bg.emplace_back(background, seed, i);

  Rng r(seed, 0);
  std::chrono::steady_clock::time_point started[kMaxInFlight];
  uint64_t forked = 0, reaped = 0, snapshot_total = 0;
  while (reaped < forks) {
    bool progress = false;
    for (size_t k = 0; k < in_flight; k++) {
      pid_t pid = g_children[k].load();
      if (pid <= 0) continue;
      int st = 0;
      pid_t w = waitpid(pid, &st, WNOHANG);
      if (w == pid) {
        g_children[k].store(0);
        reaped++;
        progress = true;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) parent_fail("child failed", pid, st);
      } else if (w < 0) {
        parent_fail("waitpid failed", pid, 0);
      } else if (seconds_since(started[k]) > child_timeout + 5) {
        parent_fail("child did not exit in time (deadlock?)", pid, 0);
      }
    }
    for (size_t k = 0; k < in_flight && forked < forks; k++) {
      if (g_children[k].load() != 0) continue;
      // A random pause lets the fork land at a different point of the threads' work.
      usleep(static_cast<useconds_t>(r.range(0, 1500)));
      size_t nsnap = 0;
      g_registry_mu.lock();
      for (const Block& b : g_registry)
        if (b.p != nullptr) g_snapshot[nsnap++] = b;
      pid_t pid = fork();
      if (pid == 0) child_main(seed, forked, nsnap, child_timeout);
      g_registry_mu.unlock();
      if (pid < 0) parent_fail("fork failed", pid, 0);
      setpgid(pid, pid);  // also here, so the group exists before any kill_children()
      started[k] = std::chrono::steady_clock::now();
      g_children[k].store(pid);
      forked++;
      snapshot_total += nsnap;
      progress = true;
    }
    if (!progress) usleep(1000);
  }
  g_stop.store(true);
  for (std::thread& t : bg) t.join();
  for (Block& b : g_registry)
    if (b.p != nullptr) check_free(b, "registry final free");
  alarm(0);
  printf("stress_fork[%s] ok: seed=%llu forks=%llu bg_threads=%llu bg_ops=%llu "
         "parent_blocks_per_child=%llu ms=%.0f\n",
         alloc_flavour(), (unsigned long long)seed, (unsigned long long)forks,
         (unsigned long long)bg_threads, (unsigned long long)g_bg_ops.load(),
         (unsigned long long)(forks ? snapshot_total / forks : 0), seconds_since(t0) * 1000);
  return 0;
}

}  // namespace
}  // namespace stress

int main(int argc, char** argv) { return stress::run(argc, argv); }
