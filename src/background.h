// The optional background release thread (HAKMEM_BG_RELEASE=1, the default): it returns
// decayed empty SuperSlabs, free large-arena pages and cached large spans to the OS, and
// dissolves parked heaps, while the program does not call the allocator. It is started lazily,
// at the first thing there is to release, and sleeps on a futex while there is nothing
// pending, so an idle process pays no wakeups.
#pragma once

namespace hakmem {

// Something became releasable (an empty SuperSlab, a free arena run, a cached large span, a
// parked heap): start the thread if needed, or wake it if it sleeps. Cheap when it is awake:
// one relaxed exchange.
void background_notify();
// fork(): the child has no background thread; the next notify starts one.
void background_reset_after_fork_child();

}  // namespace hakmem
