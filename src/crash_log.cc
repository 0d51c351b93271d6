// The crash handler. It reads counters without the registry lock (a crashed thread may hold
// it): values may be torn, which a crash report tolerates.
#include "crash_log.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "env_config.h"
#include "lock.h"
#include "os/os.h"
#include "telemetry/segment.h"
#include "telemetry/thread_counts.h"
#include "text_buffer.h"
#include "thread_heap.h"

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
  t.str("hakmem: crash log pid=").num(static_cast<uint64_t>(getpid()));
  t.kv("signal", static_cast<uint64_t>(sig)).kv("tid", static_cast<uint64_t>(os::current_tid()));
  os::OsStats os = os::os_stats();
  t.kv("mapped_bytes", os.mapped_bytes).kv("mmap_calls", os.calls[0]).kv("munmap_calls", os.calls[1]);
  t.str("\n");
  t.flush_to(fd);
  const char* names[] = {
#define HAK_X_NAME(id, name) name,
      HAK_LOCKS(HAK_X_NAME)
#undef HAK_X_NAME
  };
  for (unsigned i = 0; i < kNumLocks; ++i) {
    const hak_seg_lock& l = g_segment.locks[i];
    t.str("hakmem: lock ").str(names[i]).kv("acquisitions", seg_load(l.acquisitions));
    t.kv("contended", seg_load(l.contended)).str("\n");
    t.flush_to(fd);
  }
  unsigned threads = 0;
  for (ThreadHeap* h = registry_first(); h != nullptr && threads < 100000; h = h->reg_next) ++threads;
  t.str("hakmem: heaps=").num(threads);
  if (t_cache.state == kCacheActive) {
    uint64_t cached = 0;
    for (const ClassCache& cc : t_cache.cls) cached += cache_count(cc);
    t.kv("this_thread_cached_blocks", cached);
  }
  t.str("\n");
  t.flush_to(fd);
}

void on_crash(int sig, siginfo_t* info, void* ctx) {
  if (!g_in_handler.exchange(true)) {
    const char* where = config().crash_log;
    bool to_stderr = strcmp(where, "stderr") == 0;
    int fd = to_stderr ? STDERR_FILENO : open(where, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
      write_state(fd, sig);
      if (!to_stderr) close(fd);
    }
  }
  int slot = slot_of(sig);
  const struct sigaction& prev = g_previous[slot];
  if ((prev.sa_flags & SA_SIGINFO) != 0 && prev.sa_sigaction != nullptr) {
    prev.sa_sigaction(sig, info, ctx);
    return;
  }
  if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN && prev.sa_handler != nullptr) {
    prev.sa_handler(sig);
    return;
  }
  // Default action: restore it and re-raise; the fault recurs (or abort proceeds) unhandled.
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

void install_crash_handler() {
  if (config().crash_log[0] == '\0') return;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_crash;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &sa, &g_previous[i]);
}

}  // namespace hakmem
