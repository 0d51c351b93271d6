// The crash handler. It reads counters without the registry lock (a crashed thread may hold
// it): values may be torn, which a crash report tolerates.
#include "core/crash_log.h"

#include <string.h>
#include <unistd.h>

#include "counters/segment_storage.h"
#include "hakmem/hakmem.h"
#include "os/os.h"
#include "os/signals.h"
#include "os/threads.h"
#include "small/thread_cache.h"
#include "small/thread_heap.h"
#include "support/env_config.h"
#include "support/text_buffer.h"

namespace hakmem {
namespace {

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGABRT};
struct sigaction g_previous[3];
std::atomic<bool> g_in_handler{false};

int slot_of(int sig) {
  for (int i = 0; i < 3; ++i) {
    if (kSignals[i] == sig) return i;
  }
  return -1;
}

void write_state(int fd, int sig) {
  char storage[512];
  TextBuffer t(storage, sizeof storage);
  t.str("hakmem: crash log pid=").num(static_cast<uint64_t>(os::process_id()));
  t.kv("signal", static_cast<uint64_t>(sig)).kv("tid", static_cast<uint64_t>(os::current_tid()));
  os::OsStats os = os::os_stats();
  t.kv("mapped_bytes", os.mapped_bytes).kv("mmap_calls", os.calls[os::kOsMMAP])
      .kv("munmap_calls", os.calls[os::kOsMUNMAP]);
  t.str("\n");
  t.flush_to(fd);
  for (unsigned i = 0; i < kNumLocks; ++i) {
    const hak_seg_lock& l = g_segment.locks[i];
    t.str("hakmem: lock ").str(hak_lock_name(static_cast<int>(i))).kv("acquisitions", seg_load(l.acquisitions));
    t.kv("contended", seg_load(l.contended)).str("\n");
    t.flush_to(fd);
  }
  unsigned threads = 0;
  for (ThreadHeap* h = registry_first(); h != nullptr && threads < 100000; h = h->reg_next) ++threads;
  t.str("hakmem: heaps=").num(threads);
  if (t_cache.state == kCacheActive) {
    uint64_t cached = 0;
    for (unsigned c = 0; c < kNumClasses; ++c) cached += cache_count(t_cache.cls[c]);
    t.kv("this_thread_cached_blocks", cached);
  }
  t.str("\n");
  t.flush_to(fd);
}

void on_crash(int sig, siginfo_t* info, void* ctx) {
  if (!g_in_handler.exchange(true)) {
    const char* where = config().crash_log;
    bool to_stderr = strcmp(where, "stderr") == 0;
    int fd = to_stderr ? STDERR_FILENO : os::open_append(where, 0600);
    if (fd >= 0) {
      write_state(fd, sig);
      if (!to_stderr) os::close_fd(fd);
    }
  }
  os::pass_signal_on(sig, g_previous[slot_of(sig)], info, ctx);
}

}  // namespace

void install_crash_handler() {
  if (config().crash_log[0] == '\0') return;
  for (int i = 0; i < 3; ++i) os::install_signal_handler(kSignals[i], on_crash, &g_previous[i]);
}

}  // namespace hakmem
