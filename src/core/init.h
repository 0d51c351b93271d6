// Start-up (init.cc): the configuration, the segment, the free-tag secret, the thread-exit
// key and the global heap, the background helper's work, fork handlers and the crash log.
// Every path into the allocator that may need any of them (the slow paths, hak_* calls that
// create a thread's heap) calls ensure_initialized() first; the fast paths need none of it
// (a cache that was never set up has capacity 0 and falls into the slow path).
#pragma once

namespace hakmem {

// Makes sure allocator globals exist. Idempotent; after the first call one acquire load.
void ensure_initialized();

}  // namespace hakmem
