// The documented error line for bad pointers:
//   hakmem: invalid free(0xADDR): REASON        (or realloc, malloc_usable_size)
// then SIGABRT (os::abort_process) unless HAKMEM_ON_INVALID_FREE=ignore. The only thing a release build prints
// besides configuration warnings.
#pragma once

namespace hakmem {

// Returns only in ignore mode; the caller then leaves the pointer alone.
[[gnu::cold, gnu::noinline]] void report_invalid(const char* op, const void* p,
                                                 const char* reason);

}  // namespace hakmem
