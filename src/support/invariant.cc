// See invariant.h.
#include "support/invariant.h"

#include <unistd.h>

#include "os/os.h"
#include "support/text_buffer.h"

namespace hakmem {

bool g_checks_on;

void invariant_broken(const char* what, const void* where, uint64_t a, uint64_t b) {
  char storage[256];
  TextBuffer t(storage, sizeof storage);
  t.str("hakmem: invariant broken at ").hex(reinterpret_cast<uintptr_t>(where)).str(": ");
  t.str(what).kv("have", a).kv("want", b).str("\n");
  t.flush_to(STDERR_FILENO);
  os::abort_process();
}

}  // namespace hakmem
