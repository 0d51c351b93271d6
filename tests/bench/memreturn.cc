/* memreturn: does freed memory go back to the system, and how soon?
 *
 * usage: memreturn THREADS [MIB=1024] [SAMPLE_SECONDS=2]
 * THREADS workers together malloc MIB MiB of requested bytes in 16-256 B objects (each
 * worker its share, chained through the objects themselves so no side array inflates RSS),
 * then each frees all of its own, oldest first. The workers then stay alive, idle, while main
 * samples the resident set (/proc/self/statm) every 100 ms for SAMPLE_SECONDS: a server whose
 * burst has passed but whose threads live on. Prints the peak (VmHWM), every sample, and the
 * first sample time at which RSS <= 10 % of the peak, or "never". THREADS = 0: main alone
 * allocates and frees, then samples: a single-threaded program, where an allocator may not
 * add a thread of its own (HAKMEM returns memory at its next slow path there):
 *   peak_rss_kib = N
 *   rss_kib t=MSms N              (one line per sample, from t=0 right after the last free)
 *   rss_end_kib = N
 *   rss_return_ms = MS | never
 *   Throughput = N operations per second   (objects / time of the malloc and free phases)
 * An operation is one malloc+free pair. */
#include "bench_common.h"

namespace {

constexpr size_t kMin = 16, kMax = 256;

long rss_kib() {
  FILE* f = fopen("/proc/self/statm", "r");
  long size = 0, resident = 0;
  if (f == nullptr) return -1;
  if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
  fclose(f);
  return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

long peak_rss_kib() {
  FILE* f = fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  long v = -1;
  while (fgets(line, sizeof line, f) != nullptr)
    if (sscanf(line, "VmHWM: %ld kB", &v) == 1) break;
  fclose(f);
  return v;
}

// Phases, advanced by main; workers wait for each with a short sleep (they must not burn the
// CPU main samples on).
std::atomic<int> g_phase{0};    // 1 allocate, 2 free, 3 exit
std::atomic<int> g_arrived{0};  // workers done with the current phase

void wait_phase(int phase) {
  while (g_phase.load(std::memory_order_acquire) < phase) usleep(200);
}

void wait_workers(int threads, int target) {
  while (g_arrived.load(std::memory_order_acquire) < threads * target) usleep(200);
}

void worker(int t, size_t bytes, uint64_t* objects) {
  bench::Rng rng(8000 + static_cast<uint64_t>(t));
  wait_phase(1);
  char* head = nullptr;
  char** tail_link = &head;
  uint64_t n = 0;
  for (size_t done = 0; done < bytes; n++) {
    size_t sz = rng.range(kMin, kMax);
    char* p = static_cast<char*>(bench::check(malloc(sz), sz));
    *reinterpret_cast<char**>(p) = nullptr;
    *tail_link = p;
    tail_link = reinterpret_cast<char**>(p);
    done += sz;
  }
  *objects = n;
  g_arrived.fetch_add(1, std::memory_order_acq_rel);
  wait_phase(2);
  while (head != nullptr) {
    char* next = *reinterpret_cast<char**>(head);
    free(head);
    head = next;
  }
  g_arrived.fetch_add(1, std::memory_order_acq_rel);
  wait_phase(3);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    fprintf(stderr, "usage: %s THREADS [MIB] [SAMPLE_SECONDS]\n", argv[0]);
    return 2;
  }
  int threads = static_cast<int>(bench::parse_long(argv[0], argv[1], "THREADS", 0, 256));
  long mib = argc > 2 ? bench::parse_long(argv[0], argv[2], "MIB", 1, 1 << 20) : 1024;
  double sample_s = argc > 3 ? bench::parse_seconds(argv[0], argv[3]) : 2.0;
  int lanes = threads > 0 ? threads : 1;
  size_t share = static_cast<size_t>(mib) * 1024 * 1024 / static_cast<size_t>(lanes);

  std::vector<uint64_t> objects(static_cast<size_t>(lanes));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; t++)
    pool.emplace_back(worker, t, share, &objects[static_cast<size_t>(t)]);

  double t0 = bench::now_seconds(), t1, t2;
  if (threads == 0) {
    g_phase.store(3, std::memory_order_release);   // the worker runs on main, through its end
    worker(0, share, &objects[0]);
    t1 = t2 = bench::now_seconds();
  } else {
    g_phase.store(1, std::memory_order_release);
    wait_workers(threads, 1);
    t1 = bench::now_seconds();
    g_phase.store(2, std::memory_order_release);
    wait_workers(threads, 2);
    t2 = bench::now_seconds();
  }

  // VmHWM is folded in from per-thread counters lazily and can trail the RSS of this instant.
  long peak = peak_rss_kib(), rss_now = rss_kib();
  if (rss_now > peak) peak = rss_now;
  int samples = static_cast<int>(sample_s * 10.0 + 0.5);
  long returned_ms = -1, rss = 0;
  std::vector<long> rss_at(static_cast<size_t>(samples) + 1);
  for (int i = 0; i <= samples; i++) {
    if (i > 0) {
      double due = t2 + 0.1 * i, now = bench::now_seconds();
      if (due > now) usleep(static_cast<useconds_t>((due - now) * 1e6));
    }
    rss = rss_kib();
    rss_at[static_cast<size_t>(i)] = rss;
    if (returned_ms < 0 && rss >= 0 && peak > 0 && rss * 10 <= peak) returned_ms = 100L * i;
  }
  g_phase.store(3, std::memory_order_release);
  for (auto& th : pool) th.join();

  uint64_t total = 0;
  for (uint64_t n : objects) total += n;
  printf("memreturn: threads=%d requested_mib=%ld objects=%llu alloc_s=%.3f free_s=%.3f\n",
         threads, mib, static_cast<unsigned long long>(total), t1 - t0, t2 - t1);
  printf("peak_rss_kib = %ld\n", peak);
  for (int i = 0; i <= samples; i++)
    printf("rss_kib t=%dms %ld\n", 100 * i, rss_at[static_cast<size_t>(i)]);
  printf("rss_end_kib = %ld\n", rss);
  if (returned_ms >= 0)
    printf("rss_return_ms = %ld\n", returned_ms);
  else
    printf("rss_return_ms = never\n");
  bench::print_throughput(static_cast<double>(total), t2 - t0);
  return 0;
}
