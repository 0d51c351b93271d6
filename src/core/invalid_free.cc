// Error reporting for invalid pointers: built on the stack, written with one write(2).
#include "core/invalid_free.h"

#include <unistd.h>

#include "os/os.h"
#include "support/env_config.h"
#include "telemetry/segment.h"
#include "support/text_buffer.h"

namespace hakmem {

void report_invalid(const char* op, const void* p, const char* reason) {
  char storage[256];
  TextBuffer t(storage, sizeof storage);
  t.str("hakmem: invalid ").str(op).str("(").hex(reinterpret_cast<uintptr_t>(p)).str("): ");
  t.str(reason).str("\n");
  t.flush_to(STDERR_FILENO);
  if (config().on_invalid_free != kInvalidIgnore) {
    segment_at_exit();   // the process is ending: leave no stale segment behind
    os::abort_process();
  }
}

}  // namespace hakmem
