// Counter aggregation. Heaps publish their own counters (single writer); this file owns the
// process-wide ones and sums everything for hak_stats_snapshot() and the exit summary.
// Exactness: a snapshot holds the registry lock, so a thread that exits concurrently is
// counted exactly once (either live or retired).
#include "stats.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>

#include "env_config.h"
#include "heap.h"
#include "large.h"
#include "lock.h"
#include "os/os.h"
#include "refill.h"
#include "size_classes.h"
#include "text_buffer.h"
#include "thread_heap.h"

namespace hakmem {
namespace {

std::atomic<uint64_t> g_pool_acquires[HAK_NUM_POOL_STAGES];
std::atomic<uint64_t> g_pool_releases[HAK_NUM_POOL_RELEASE_KINDS];
std::atomic<uint64_t> g_slabs_bound[kNumClasses];
std::atomic<uint64_t> g_threads_exited{0};

struct Totals {
  uint64_t allocs[kNumClasses];
  uint64_t frees[kNumClasses];
  uint64_t remote_frees[kNumClasses];
  uint64_t refills[kNumClasses][kNumPaths];
  uint64_t refill_objects[kNumClasses][kNumPaths];
};
Totals g_retired;   // registry lock

template <typename Sink>
void add_counters(const HeapCounters& c, Sink&& sink) {
  for (unsigned cls = 0; cls < kNumClasses; ++cls) {
    sink.allocs[cls] += c.allocs[cls].load(std::memory_order_relaxed);
    sink.frees[cls] += c.frees[cls].load(std::memory_order_relaxed);
    sink.remote_frees[cls] += c.remote_frees[cls].load(std::memory_order_relaxed);
    for (unsigned p = 0; p < kNumPaths; ++p) {
      sink.refills[cls][p] += c.refills[cls][p].load(std::memory_order_relaxed);
      sink.refill_objects[cls][p] += c.refill_objects[cls][p].load(std::memory_order_relaxed);
    }
  }
}

void add_count(std::atomic<uint64_t>& c, uint64_t n) { c.fetch_add(n, std::memory_order_relaxed); }

const char* const kPathNames[] = {
#define HAK_X_NAME(id, name) name,
    HAK_REFILL_PATHS(HAK_X_NAME)};
const char* const kLockNames[] = {HAK_LOCKS(HAK_X_NAME)};
const char* const kStageNames[] = {HAK_POOL_STAGES(HAK_X_NAME)};
const char* const kReleaseNames[] = {HAK_POOL_RELEASE_KINDS(HAK_X_NAME)};
const char* const kStateNames[] = {HAK_SUPERSLAB_STATES(HAK_X_NAME)};
const char* const kOsNames[] = {HAK_OS_CALLS(HAK_X_NAME)};
#undef HAK_X_NAME

template <size_t N>
const char* name_at(const char* const (&names)[N], int i) {
  return i >= 0 && static_cast<size_t>(i) < N ? names[i] : nullptr;
}

}  // namespace

void count_pool_acquire(unsigned stage) { add_count(g_pool_acquires[stage], 1); }
void count_pool_release(unsigned kind) { add_count(g_pool_releases[kind], 1); }
void note_slab_bound(unsigned cls) { add_count(g_slabs_bound[cls], 1); }
void note_slab_unbound(unsigned cls) { g_slabs_bound[cls].fetch_sub(1, std::memory_order_relaxed); }

void note_thread_exited() { add_count(g_threads_exited, 1); }

void retire_counters_locked(const HeapCounters& c) { add_counters(c, g_retired); }

void collect_stats(hak_stats* out) {
  *out = hak_stats{};
  static Totals sum;   // registry lock held while used; too big for small thread stacks
  uint64_t live = 0;
  registry_lock();
  sum = g_retired;
  for (ThreadHeap* h = registry_first(); h != nullptr; h = h->reg_next) {
    add_counters(h->counters, sum);
    ++live;
  }
  for (unsigned cls = 0; cls < kNumClasses; ++cls) {
    hak_class_stats& cs = out->classes[cls];
    cs.size = class_size_of(cls);
    cs.allocs = sum.allocs[cls];
    cs.frees = sum.frees[cls];
    cs.remote_frees = sum.remote_frees[cls];
    for (unsigned p = 0; p < kNumPaths; ++p) {
      cs.refills[p] = sum.refills[cls][p];
      cs.refill_objects[p] = sum.refill_objects[cls][p];
    }
    cs.slabs_in_use = g_slabs_bound[cls].load(std::memory_order_relaxed);
    cs.live_bytes = cs.allocs > cs.frees ? (cs.allocs - cs.frees) * cs.size : 0;
  }
  registry_unlock();
  LargeStats ls = large_stats();
  out->large_allocs = ls.allocs;
  out->large_frees = ls.frees;
  out->large_live_bytes = ls.live_bytes;
  for (unsigned i = 0; i < kNumLocks; ++i) {
    const Lock& l = lock_of(static_cast<LockId>(i));
    out->locks[i] = hak_lock_stats{l.acquisitions(), l.contended(), l.wait_ns_total(),
                                   l.wait_ns_max(), l.hold_ns_total()};
  }
  for (unsigned i = 0; i < HAK_NUM_POOL_STAGES; ++i) out->pool_acquires[i] = g_pool_acquires[i].load();
  for (unsigned i = 0; i < HAK_NUM_POOL_RELEASE_KINDS; ++i) out->pool_releases[i] = g_pool_releases[i].load();
  superslab_counts(&out->superslabs[0], &out->superslabs[1]);
  os::OsStats os = os::os_stats();
  out->mapped_bytes = os.mapped_bytes;
  for (unsigned i = 0; i < HAK_NUM_OS_CALLS; ++i) {
    out->os_calls[i] = os.calls[i];
    out->os_bytes[i] = os.bytes[i];
  }
  // Neither the global heap nor parked heaps are threads.
  uint64_t not_threads = 1 + parked_heap_count();
  out->threads_live = live > not_threads ? live - not_threads : 0;
  out->threads_exited = g_threads_exited.load(std::memory_order_relaxed);
}

void write_summary(int fd) {
  static hak_stats s;   // 10 KiB: keep it off small thread stacks; racing printers is benign
  hak_stats_snapshot(&s);
  uint64_t allocs = 0, frees = 0, remote = 0, live = 0;
  for (const hak_class_stats& c : s.classes) {
    allocs += c.allocs;
    frees += c.frees;
    remote += c.remote_frees;
    live += c.live_bytes;
  }
  char storage[1024];
  TextBuffer t(storage, sizeof storage);
  uint64_t pid = static_cast<uint64_t>(getpid());
  auto line = [&]() -> TextBuffer& { return t.str("hakmem[").num(pid).str("]"); };
  line().str(" summary:").kv("allocs", allocs + s.large_allocs).kv("frees", frees + s.large_frees);
  t.kv("remote_frees", remote).kv("large_allocs", s.large_allocs).kv("large_frees", s.large_frees);
  t.kv("live_bytes", live + s.large_live_bytes).kv("mapped_bytes", s.mapped_bytes);
  t.kv("threads", s.threads_live + s.threads_exited).str("\n");
  t.flush_to(fd);
  for (unsigned cls = 0; cls < kNumClasses; ++cls) {
    const hak_class_stats& c = s.classes[cls];
    if (c.allocs == 0 && c.frees == 0) continue;
    line().str(" class").kv("index", cls).kv("size", c.size).kv("allocs", c.allocs);
    t.kv("frees", c.frees).kv("remote_frees", c.remote_frees).kv("slabs", c.slabs_in_use);
    for (unsigned p = 0; p < kNumPaths; ++p) {
      if (c.refills[p] == 0) continue;
      t.str(" ").str(kPathNames[p]).str("=").num(c.refills[p]).str("/").num(c.refill_objects[p]);
    }
    t.str("\n");
    t.flush_to(fd);
  }
  for (unsigned i = 0; i < kNumLocks; ++i) {
    const hak_lock_stats& l = s.locks[i];
    line().str(" lock").str(" name=").str(kLockNames[i]).kv("acquisitions", l.acquisitions);
    t.kv("contended", l.contended).kv("wait_ns", l.wait_ns_total).kv("wait_ns_max", l.wait_ns_max);
    t.kv("hold_ns", l.hold_ns_total).str("\n");
    t.flush_to(fd);
  }
  line().str(" pool");
  for (unsigned i = 0; i < HAK_NUM_POOL_STAGES; ++i) t.kv(kStageNames[i], s.pool_acquires[i]);
  for (unsigned i = 0; i < HAK_NUM_POOL_RELEASE_KINDS; ++i) {
    t.str(" release_").str(kReleaseNames[i]).str("=").num(s.pool_releases[i]);
  }
  t.str("\n");
  line().str(" superslabs");
  for (unsigned i = 0; i < HAK_NUM_SUPERSLAB_STATES; ++i) t.kv(kStateNames[i], s.superslabs[i]);
  t.str("\n");
  line().str(" os");
  for (unsigned i = 0; i < HAK_NUM_OS_CALLS; ++i) {
    t.str(" ").str(kOsNames[i]).str("=").num(s.os_calls[i]).str("/").num(s.os_bytes[i]);
  }
  t.str("\n");
  t.flush_to(fd);
}

void print_stats_at_exit() {
  const char* where = config().stats_print;
  if (where[0] == '\0' || (where[0] == '0' && where[1] == '\0')) return;
  if (where[0] == '1' && where[1] == '\0') {
    write_summary(STDERR_FILENO);
    return;
  }
  int fd = open(where, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    char storage[384];
    TextBuffer t(storage, sizeof storage);
    t.str("hakmem: HAKMEM_STATS_PRINT=").str(where).str(": cannot open; summary not written\n");
    t.flush_to(STDERR_FILENO);
    return;
  }
  write_summary(fd);
  close(fd);
}

}  // namespace hakmem

using namespace hakmem;

extern "C" {

int hak_stats_snapshot(hak_stats* out) {
  if (out == nullptr) return -1;
  ensure_initialized();
  if (t_cache.state == kCacheActive) publish_all(t_cache);
  collect_stats(out);
  return 0;
}

void hak_print_stats(int fd) { write_summary(fd); }

const char* hak_path_name(int i) { return name_at(kPathNames, i); }
const char* hak_lock_name(int i) { return name_at(kLockNames, i); }
const char* hak_pool_stage_name(int i) { return name_at(kStageNames, i); }
const char* hak_pool_release_kind_name(int i) { return name_at(kReleaseNames, i); }
const char* hak_superslab_state_name(int i) { return name_at(kStateNames, i); }
const char* hak_os_call_name(int i) { return name_at(kOsNames, i); }

}  // extern "C"
