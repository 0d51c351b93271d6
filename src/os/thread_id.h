// The calling thread's kernel id (what gettid returns) without a syscall on the thread-start
// path. A syscall costs about 1 us in a VM here, a measurable part of a thread that lives for
// a thousand allocations (Larson's seed parameters).
#pragma once

namespace hakmem::os {

// glibc keeps each thread's id in its thread descriptor (pthread_self()), at an offset that is
// not part of its ABI. The first caller finds it by looking for its own gettid() there (a
// single match in the descriptor's first KiB, else never); a later thread whose descriptor
// agrees with its own gettid() makes it trusted. Until then, and for good if a descriptor
// disagrees, every call is the syscall. Async-signal-safe; never allocates.
int thread_tid();

}  // namespace hakmem::os
