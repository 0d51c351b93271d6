// The segment's publisher; see segment.h.
#include "telemetry/segment.h"

#include <unistd.h>

#include <cstring>

#include "base/size_classes.h"
#include "os/os.h"
#include "os/segment_file.h"
#include "support/env_config.h"
#include "support/text_buffer.h"

namespace hakmem {

namespace {

char g_path[kMaxOptionText + 32];   // the published file; empty while none is
unsigned g_slots_used;               // claimed slots (registry lock)
bool g_copied_for_child;             // a fork child's private copy, not yet published
// The published file's reserved bytes (a prefix of g_segment): the header, settings,
// classes, process record and locks, then the claimed slots and kSpareSlots more. The rest
// is reserved as slots are claimed. A process reserves what it uses (a fork child that execs
// or exits at once reserves, and frees, a sixth of the 452 KiB), not the whole segment.
size_t g_reserved;
constexpr unsigned kSpareSlots = 8;

// The bytes of g_segment up to the end of the first `slots` heap slots (record 0 included).
size_t bytes_through_slots(unsigned slots) {
  return static_cast<size_t>(reinterpret_cast<const char*>(&g_segment.slots[1 + slots]) -
                             reinterpret_cast<const char*>(&g_segment));
}

size_t reserve_for(unsigned slots_used) {
  unsigned n = slots_used + kSpareSlots < kSegmentSlots ? slots_used + kSpareSlots : kSegmentSlots;
  return (bytes_through_slots(n) + 4095) & ~size_t{4095};
}

void add_section(hak_seg_header& h, unsigned id, const void* first, uint32_t count,
                 uint32_t stride) {
  hak_seg_section& s = h.sections[id];
  s.offset = static_cast<uint64_t>(static_cast<const char*>(first) -
                                   reinterpret_cast<const char*>(&g_segment));
  s.count = count;
  s.stride = stride;
}

// Every setting, its whole value (kMaxOptionText bytes at most, NUL included) and its source.
static_assert(kNumOptions <= kSegmentSettings && kMaxOptionText <= HAK_SEG_SETTING_VALUE_MAX);

void add_setting(const char* name, const char* value, unsigned source, void* ctx) {
  auto* n = static_cast<unsigned*>(ctx);
  hak_seg_setting& s = g_segment.settings[(*n)++];
  strncpy(s.name, name, sizeof s.name - 1);
  strncpy(s.value, value, sizeof s.value - 1);
  s.source = source;
  strncpy(s.full_value, value, sizeof s.full_value - 1);
}

void fill_static_parts() {
  hak_seg_header& h = g_segment.header;
  h.magic = HAK_SEG_MAGIC;
  h.abi_major = HAK_SEG_ABI_MAJOR;
  h.abi_minor = HAK_SEG_ABI_MINOR;
  h.header_size = sizeof(hak_seg_header);
  h.segment_size = sizeof(Segment);
  h.num_classes = kNumClasses;
  h.num_paths = HAK_NUM_PATHS;
  h.num_locks = HAK_NUM_LOCKS;
  h.num_pool_stages = HAK_NUM_POOL_STAGES;
  h.num_pool_release_kinds = HAK_NUM_POOL_RELEASE_KINDS;
  h.num_superslab_states = HAK_NUM_SUPERSLAB_STATES;
  h.num_os_calls = HAK_NUM_OS_CALLS;
  h.num_sections = HAK_SEG_NUM_SECTIONS;
  unsigned settings = 0;
  config_for_each(config(), add_setting, &settings);
  add_section(h, HAK_SEG_SEC_SETTINGS, g_segment.settings, settings, sizeof(hak_seg_setting));
  for (unsigned c = 0; c < kNumClasses; ++c) g_segment.classes[c].size = class_size_of(c);
  add_section(h, HAK_SEG_SEC_CLASSES, g_segment.classes, kNumClasses, sizeof(hak_seg_class_info));
  add_section(h, HAK_SEG_SEC_PROCESS, &g_segment.process, 1, sizeof(hak_seg_process));
  add_section(h, HAK_SEG_SEC_LOCKS, g_segment.locks, kNumLocks, sizeof(hak_seg_lock));
  add_section(h, HAK_SEG_SEC_SLOTS, g_segment.slots, 1 + kSegmentSlots, sizeof(hak_seg_slot));
  g_segment.slots[0].state = HAK_SEG_SLOT_RETIRED;
}

// The identity part of the header: this process.
void stamp_process() {
  hak_seg_header& h = g_segment.header;
  h.pid = os::process_id();
  h.start_time_ticks = os::process_start_ticks();
  h.created_ns = os::realtime_ns();
  h.update_ns = h.created_ns;
  os::process_comm(h.comm);
}

void report_off(const char* path, const os::FileError& e) {
  char storage[768];
  TextBuffer t(storage, sizeof storage);
  t.str("hakmem: telemetry off: ").str(path).str(": ").str(e.what);
  if (e.err != 0) {
    const char* desc = strerrordesc_np(e.err);
    t.str(" (").str(desc != nullptr ? desc : "unknown error").str(")");
  }
  t.str("\n").flush_to(STDERR_FILENO);
}

// The bytes of g_segment up to the end of the last slot handed out: all beyond is zero.
size_t used_bytes() { return bytes_through_slots(g_slots_used); }

// Creates this process's file and maps it over g_segment. Leaves g_path empty on failure.
void publish() {
  g_path[0] = '\0';
  if (HAKMEM_TELEMETRY == 0 || config().stats == 0) return;
  const char* dir = config().stats_dir;
  os::FileError e = os::check_stats_dir(dir);
  if (e.what != nullptr) {
    report_off(dir, e);
    return;
  }
  char path[sizeof g_path];
  TextBuffer t(path, sizeof path);
  t.str(dir).str("/" HAK_SEG_FILE_PREFIX).num(static_cast<uint64_t>(g_segment.header.pid));
  t.c_str();
  // A kernel that cannot reserve mapped pages later (before 5.14: the probe, on the header's
  // page, which is written anyway, fails) gets the whole file reserved now.
  size_t reserve = os::reserve_mapped_pages(&g_segment.header, 4096) ? reserve_for(g_slots_used)
                                                                     : sizeof(Segment);
  int fd = os::create_segment_file(path, sizeof(Segment), reserve, &e);
  if (fd < 0) {
    report_off(path, e);
    return;
  }
  g_segment.header.flags = HAK_SEG_FLAG_ACTIVE;
  bool mapped = os::map_file_over(fd, &g_segment, sizeof(Segment), used_bytes(), &e);
  os::close_fd(fd);
  if (!mapped) {
    g_segment.header.flags = 0;
    os::remove_file(path);
    report_off(path, e);
    return;
  }
  g_reserved = reserve;
  memcpy(g_path, path, sizeof g_path);
  // Processes that ended without exiting normally (killed, _exit after fork) left their files;
  // each new one removes what it finds of its user's, so they cannot pile up without hakmemd.
  os::remove_dead_segments(dir, 1024);
}

}  // namespace

void segment_init() {
  fill_static_parts();
  stamp_process();
  publish();
}

bool segment_fork_child_copy() {
  if (g_path[0] == '\0') return true;   // not published: g_segment is private memory already
  // Until replaced, every count this child makes lands in the parent's file. Slots this
  // process never claimed are all zero by the ABI, but the parent may have claimed some since
  // the fork (counts and live caches): the copy stops before them, so they start over for the
  // child, and their pages are never touched (a fork that execs or exits at once pays for
  // what the parent used, not for all 65 slots).
  if (!os::make_private_copy(&g_segment, sizeof(Segment), used_bytes())) {
    // Out of memory for a copy: stop writing the parent's segment by clearing our claim on
    // it; counts go on in the shared pages, and the reader sees the parent's pid there. New
    // heaps claim no slot there (their caches would be in the parent's pages).
    g_path[0] = '\0';
    g_slots_used = kSegmentSlots;
    return false;
  }
  g_segment.header.flags = 0;
  g_path[0] = '\0';
  g_copied_for_child = true;
  return true;
}

void segment_restart_counts_after_fork(bool forking_thread_counted) {
  for (hak_seg_lock& l : g_segment.locks) l = hak_seg_lock{};
  hak_seg_process& p = g_segment.process;
  for (uint64_t& v : p.pool_acquires) v = 0;
  for (uint64_t& v : p.pool_releases) v = 0;
  for (uint64_t& v : p.os_calls) v = 0;
  for (uint64_t& v : p.os_bytes) v = 0;
  for (uint64_t& v : p.span_cache_events) v = 0;
  for (auto& direction : p.cache_resizes)
    for (uint64_t& v : direction) v = 0;
  p.large_allocs = p.large_frees = 0;
  p.threads_started = forking_thread_counted ? 1 : 0;
  p.threads_exited = 0;
}

void segment_fork_child_publish() {
  if (!g_copied_for_child) return;
  g_copied_for_child = false;
  stamp_process();
  publish();
}

void segment_at_exit() {
  if (g_path[0] == '\0') return;
  std::atomic_ref<uint32_t>(g_segment.header.flags).fetch_or(HAK_SEG_FLAG_ABANDONED);
  os::remove_file(g_path);
  g_path[0] = '\0';
}

unsigned segment_slots_in_use() { return 1 + g_slots_used; }

hak_seg_slot* segment_claim_slot_locked() {
  if (g_slots_used >= kSegmentSlots) return nullptr;
  hak_seg_slot* s = &g_segment.slots[1 + g_slots_used];
  if (g_path[0] != '\0' && bytes_through_slots(g_slots_used + 1) > g_reserved) {
    // Shared pages not yet reserved: a full tmpfs would turn the slot's first write into a
    // SIGBUS. Without room, the heap goes without a slot (its counts wait in its own struct
    // and reach the retired record, which is reserved, when it is dissolved).
    size_t more = reserve_for(g_slots_used + 1);
    if (!os::reserve_mapped_pages(reinterpret_cast<char*>(&g_segment) + g_reserved, more - g_reserved)) {
      return nullptr;
    }
    g_reserved = more;
  }
  ++g_slots_used;
  std::atomic_ref<uint32_t>(s->state).store(HAK_SEG_SLOT_LIVE, std::memory_order_relaxed);
  seg_set(g_segment.header.generation, seg_load(g_segment.header.generation) + 2);
  seg_set(g_segment.header.update_ns, os::realtime_ns());
  return s;
}

void segment_retire_own_slot_locked(hak_seg_slot* own) {
  // own was never visible to readers: adding it to the retired record keeps every sum
  // a reader makes monotonic.
  hak_seg_slot& retired = g_segment.slots[0];
  for (unsigned cls = 0; cls < kNumClasses; ++cls) {
    const hak_seg_class_counters& c = own->classes[cls];
    const hak_seg_cache& k = own->caches[cls];
    hak_seg_class_counters& r = retired.classes[cls];
    // Allocations first: a reader that sees these frees then sees their allocations.
    seg_bump(r.allocs, c.allocs + k.allocs);
    seg_bump(r.frees, c.frees + (k.fill >> HAK_SEG_CACHE_FREES_SHIFT));
    seg_bump(r.remote_frees, c.remote_frees);
    for (unsigned p = 0; p < kNumPaths; ++p) {
      seg_bump(r.refills[p], c.refills[p]);
      seg_bump(r.refill_objects[p], c.refill_objects[p]);
    }
  }
  memset(static_cast<void*>(own->classes), 0, sizeof own->classes);
  memset(static_cast<void*>(own->caches), 0, sizeof own->caches);
}

}  // namespace hakmem
