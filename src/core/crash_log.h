// Optional crash log (HAKMEM_CRASH_LOG=stderr|PATH): on SIGSEGV, SIGBUS or SIGABRT writes the
// allocator's state (counters, mapped bytes, locks held), then hands the signal to whatever
// handler the program had installed before, or re-raises it with the default action.
// Async-signal-safe: no locks taken, no allocation, output through write(2).
#pragma once

namespace hakmem {

void install_crash_handler();

}  // namespace hakmem
