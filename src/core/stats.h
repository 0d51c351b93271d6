// Reading the counters back inside the process: the snapshot that sums every slot and the
// process record (hak_stats_snapshot), the HAKMEM_STATS_PRINT summary, and the names of the
// one list (hak_*_name). The counting itself is done where things happen, with the idioms of
// counters/segment_storage.h.
#pragma once
#include <cstdint>

#include "hakmem/hakmem.h"

namespace hakmem {

// Fills out from all heaps (registry lock taken inside).
void collect_stats(hak_stats* out);
// The HAKMEM_STATS_PRINT summary; first line
//   hakmem[PID] summary: allocs=N frees=N remote_frees=N large_allocs=N ...
void write_summary(int fd);
// At exit, if HAKMEM_STATS_PRINT asks for it.
void print_stats_at_exit();

}  // namespace hakmem
