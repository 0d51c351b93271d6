// Counter aggregation (stats.h). Heaps count into their own slots (single writer); this file
// sums everything for hak_stats_snapshot() and the exit summary.
// Exactness: a snapshot holds the registry lock, so a thread that exits concurrently is
// counted exactly once (either live or retired).
#include "core/stats.h"

#include <unistd.h>

#include "base/size_classes.h"
#include "counters/segment_storage.h"
#include "large/large.h"
#include "os/os.h"
#include "small/thread_cache.h"
#include "small/thread_heap.h"
#include "support/env_config.h"
#include "support/text_buffer.h"
#include "telemetry/segment.h"

namespace hakmem {
namespace {

// A slot's totals (telemetry_abi.h, hak_seg_cache): its published counters plus its live
// caches. Frees are summed over every slot before allocations are (collect_stats), so that a
// block freed by one thread after another allocated it never shows as a free alone.
void add_slot_frees(const hak_seg_slot& from, hak_stats* out) {
  for (unsigned cls = 0; cls < kNumClasses; ++cls) {
    out->classes[cls].frees += seg_load(from.classes[cls].frees) + (seg_load(from.caches[cls].fill) >> HAK_SEG_CACHE_FREES_SHIFT);
  }
}

void add_slot(const hak_seg_slot& from, hak_stats* out) {
  for (unsigned cls = 0; cls < kNumClasses; ++cls) {
    const hak_seg_class_counters& c = from.classes[cls];
    hak_class_stats& cs = out->classes[cls];
    cs.allocs += seg_load(c.allocs) + seg_load(from.caches[cls].allocs);
    cs.remote_frees += seg_load(c.remote_frees);
    for (unsigned p = 0; p < kNumPaths; ++p) {
      cs.refills[p] += seg_load(c.refills[p]);
      cs.refill_objects[p] += seg_load(c.refill_objects[p]);
    }
  }
}

const char* const kPathNames[] = {
#define HAK_X_NAME(id, name) name,
    HAK_REFILL_PATHS(HAK_X_NAME)};
const char* const kLockNames[] = {HAK_LOCKS(HAK_X_NAME)};
const char* const kStageNames[] = {HAK_POOL_STAGES(HAK_X_NAME)};
const char* const kReleaseNames[] = {HAK_POOL_RELEASE_KINDS(HAK_X_NAME)};
const char* const kStateNames[] = {HAK_SUPERSLAB_STATES(HAK_X_NAME)};
const char* const kOsNames[] = {HAK_OS_CALLS(HAK_X_NAME)};
const char* const kSpanEventNames[] = {HAK_SPAN_CACHE_EVENTS(HAK_X_NAME)};
const char* const kResizeNames[] = {HAK_CACHE_RESIZES(HAK_X_NAME)};
#undef HAK_X_NAME

template <size_t N>
const char* name_at(const char* const (&names)[N], int i) {
  return i >= 0 && static_cast<size_t>(i) < N ? names[i] : nullptr;
}

}  // namespace

void collect_stats(hak_stats* out) {
  *out = hak_stats{};
  // The same sums a segment reader makes (every claimed slot, retired record included), plus
  // the heaps that count into their own struct; the registry lock keeps a retiring heap from
  // being counted twice or not at all, and slots from being claimed meanwhile. Slots never
  // claimed are all zero and stay unread: reading them would fault in the segment's pages (an
  // exit summary once added 0.4 MiB of shared pages to a small program's peak RSS).
  auto every_slot = [out](void (*add)(const hak_seg_slot&, hak_stats*)) {
    for (unsigned i = 0, n = segment_slots_in_use(); i < n; ++i) add(g_segment.slots[i], out);
    for (ThreadHeap* h = registry_first(); h != nullptr; h = h->reg_next) {
      if (h->slot == &h->own_slot) add(h->own_slot, out);
    }
  };
  registry_lock();
  every_slot(add_slot_frees);
  std::atomic_thread_fence(std::memory_order_acquire);   // the frees' loads before the allocs'
  every_slot(add_slot);
  registry_unlock();
  const hak_seg_process& p = process_counts();
  for (unsigned cls = 0; cls < kNumClasses; ++cls) {
    hak_class_stats& cs = out->classes[cls];
    cs.size = class_size_of(cls);
    cs.slabs_in_use = seg_load(p.slabs_in_use[cls]);
    uint64_t held = cs.allocs + seg_load(p.inherited_blocks[cls]);   // forked: the parent's too
    cs.live_bytes = held > cs.frees ? (held - cs.frees) * cs.size : 0;
  }
  out->large_allocs = seg_load(p.large_allocs);
  out->large_frees = seg_load(p.large_frees);
  out->large_live_bytes = seg_load(p.large_live_bytes);
  for (unsigned i = 0; i < kNumLocks; ++i) {
    const hak_seg_lock& l = g_segment.locks[i];
    out->locks[i] = hak_lock_stats{seg_load(l.acquisitions), seg_load(l.contended),
                                   seg_load(l.wait_ns_total), seg_load(l.wait_ns_max),
                                   seg_load(l.hold_ns_total)};
  }
  for (unsigned i = 0; i < HAK_NUM_POOL_STAGES; ++i) out->pool_acquires[i] = seg_load(p.pool_acquires[i]);
  for (unsigned i = 0; i < HAK_NUM_POOL_RELEASE_KINDS; ++i) {
    out->pool_releases[i] = seg_load(p.pool_releases[i]);
  }
  for (unsigned i = 0; i < HAK_NUM_SUPERSLAB_STATES; ++i) out->superslabs[i] = seg_load(p.superslabs[i]);
  out->mapped_bytes = seg_load(p.mapped_bytes);
  for (unsigned i = 0; i < HAK_NUM_OS_CALLS; ++i) {
    out->os_calls[i] = seg_load(p.os_calls[i]);
    out->os_bytes[i] = seg_load(p.os_bytes[i]);
  }
  uint64_t started = seg_load(p.threads_started), exited = seg_load(p.threads_exited);
  out->threads_live = started > exited ? started - exited : 0;
  out->threads_exited = exited;
}

namespace {

// 10 KiB: kept off small thread stacks; racing printers is benign.
hak_stats g_printed;

uint64_t live_bytes_of(const hak_stats& s) {
  uint64_t live = s.large_live_bytes;
  for (const hak_class_stats& c : s.classes) live += c.live_bytes;
  return live;
}

void write_summary_of(const hak_stats& s, int fd) {
  uint64_t allocs = 0, frees = 0, remote = 0;
  for (const hak_class_stats& c : s.classes) {
    allocs += c.allocs;
    frees += c.frees;
    remote += c.remote_frees;
  }
  char storage[1024];
  TextBuffer t(storage, sizeof storage);
  uint64_t pid = static_cast<uint64_t>(os::process_id());
  auto line = [&]() -> TextBuffer& { return t.str("hakmem[").num(pid).str("]"); };
  line().str(" summary:").kv("allocs", allocs + s.large_allocs).kv("frees", frees + s.large_frees);
  t.kv("remote_frees", remote).kv("large_allocs", s.large_allocs).kv("large_frees", s.large_frees);
  t.kv("live_bytes", live_bytes_of(s)).kv("mapped_bytes", s.mapped_bytes);
  const hak_seg_process& p = process_counts();
  t.kv("resident_bytes", seg_load(p.resident_bytes));
  t.kv("threads", s.threads_live + s.threads_exited);
  t.kv("peak_resident_bytes", seg_load(p.peak_resident_bytes));
  t.kv("peak_mapped_bytes", seg_load(p.peak_mapped_bytes));
  t.kv("peak_live_bytes", seg_load(p.peak_live_bytes)).str("\n");
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
    for (unsigned d = 0; d < HAK_NUM_CACHE_RESIZES; ++d) {
      uint64_t n = seg_load(p.cache_resizes[d][cls]);
      if (n != 0) t.str(" cache_").str(kResizeNames[d]).str("=").num(n);
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
  line().str(" span_cache").kv("bytes", seg_load(p.span_cache_bytes));
  for (unsigned i = 0; i < HAK_NUM_SPAN_CACHE_EVENTS; ++i) t.kv(kSpanEventNames[i], seg_load(p.span_cache_events[i]));
  t.str("\n");
  t.flush_to(fd);
}

}  // namespace

void write_summary(int fd) {
  hak_stats_snapshot(&g_printed);
  write_summary_of(g_printed, fd);
}

void write_malloc_stats(int fd) {
  hak_stats_snapshot(&g_printed);
  write_summary_of(g_printed, fd);
  const hak_stats& s = g_printed;
  size_t regions = 0, bytes = 0;
  large_mapping_peaks(&regions, &bytes);
  char storage[256];
  TextBuffer t(storage, sizeof storage);
  auto row = [&](const char* name, uint64_t v) {
    t.str(name).str(" = ");
    int digits = 1;
    for (uint64_t rest = v / 10; rest != 0; rest /= 10) ++digits;
    for (; digits < 10; ++digits) t.str(" ");   // glibc pads each value to ten columns
    t.num(v).str("\n");
  };
  t.str("Total (incl. mmap):\n");
  row("system bytes    ", s.mapped_bytes);
  row("in use bytes    ", live_bytes_of(s));
  row("max mmap regions", regions);
  row("max mmap bytes  ", bytes);
  t.flush_to(fd);
}

void print_stats_at_exit() {
  const char* where = config().stats_print;
  if (where[0] == '\0' || (where[0] == '0' && where[1] == '\0')) return;
  if (where[0] == '1' && where[1] == '\0') {
    write_summary(STDERR_FILENO);
    return;
  }
  int fd = os::open_append(where, 0644);
  if (fd < 0) {
    char storage[384];
    TextBuffer t(storage, sizeof storage);
    t.str("hakmem: HAKMEM_STATS_PRINT=").str(where).str(": cannot open; summary not written\n");
    t.flush_to(STDERR_FILENO);
    return;
  }
  write_summary(fd);
  os::close_fd(fd);
}

}  // namespace hakmem

using namespace hakmem;

extern "C" {

void hak_print_stats(int fd) { write_summary(fd); }
void hak_malloc_stats() { write_malloc_stats(STDERR_FILENO); }

const char* hak_path_name(int i) { return name_at(kPathNames, i); }
const char* hak_lock_name(int i) { return name_at(kLockNames, i); }
const char* hak_pool_stage_name(int i) { return name_at(kStageNames, i); }
const char* hak_pool_release_kind_name(int i) { return name_at(kReleaseNames, i); }
const char* hak_superslab_state_name(int i) { return name_at(kStateNames, i); }
const char* hak_os_call_name(int i) { return name_at(kOsNames, i); }

}  // extern "C"
