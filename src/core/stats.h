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
// malloc_stats(): the summary, then glibc's closing totals in glibc's words, for programs and
// scripts that read those (system bytes = mapped, in use bytes = live, max mmap regions and
// bytes = the peaks of spans, HAKMEM's blocks with their own mapping):
//   Total (incl. mmap):
//   system bytes     =    4456448
//   in use bytes     =      14368
//   max mmap regions =          0
//   max mmap bytes   =          0
void write_malloc_stats(int fd);
// At exit, if HAKMEM_STATS_PRINT asks for it.
void print_stats_at_exit();

}  // namespace hakmem
