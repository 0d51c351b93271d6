/* The contract between the eBPF programs (memsys.bpf.c) and hakmemd, which reads their maps
 * (daemon/hakmemd/bpf_probes.cc). Plain C with fixed-width kernel types, so that clang
 * -target bpf and the daemon's C++ compile the same layouts; any change here is a change on
 * both sides at once.
 *
 * Identity: a process is (tgid, start_ns), start_ns being its leader's start_boottime, the
 * same clock /proc/<pid>/stat's starttime is made from (starttime = start_ns / (1e9 /
 * CLK_TCK)). A pid that is reused therefore gets new entries and never inherits a dead
 * process's counts. */
#ifndef HAKMEM_BPF_MEMSYS_ABI_H
#define HAKMEM_BPF_MEMSYS_ABI_H

#include <linux/types.h>

/* The traced system calls, with their `syscall` label values in /metrics (the same names as
 * the allocator's OS calls of hakmem/stats_names.h, which the cross-check matches by name). */
#define HAK_BPF_SYSCALLS(X) X(MMAP, "mmap") X(MUNMAP, "munmap") X(MREMAP, "mremap") \
  X(MADVISE, "madvise") X(BRK, "brk")

enum hak_bpf_syscall {
#define HAK_BPF_X_SYSCALL(id, name) HAK_BPF_##id,
  HAK_BPF_SYSCALLS(HAK_BPF_X_SYSCALL)
#undef HAK_BPF_X_SYSCALL
  HAK_BPF_SYSCALL_COUNT
};

/* madvise advice as counted, with its `advice` label; every other advice is OTHER. */
#define HAK_BPF_ADVICES(X) X(DONTNEED, "dontneed") X(FREE, "free") X(HUGEPAGE, "hugepage") \
  X(NOHUGEPAGE, "nohugepage") X(WILLNEED, "willneed") X(OTHER, "other")

enum hak_bpf_advice {
#define HAK_BPF_X_ADVICE(id, name) HAK_BPF_ADVICE_##id,
  HAK_BPF_ADVICES(HAK_BPF_X_ADVICE)
#undef HAK_BPF_X_ADVICE
  HAK_BPF_ADVICE_COUNT
};

/* Latency histogram: slot s counts calls whose duration d (ns) has floor(log2(d)) == s + 8,
 * so its upper bound is 2^(s+9) ns; slot 0 also takes everything under 256 ns and the last
 * slot everything from 2^27 ns (134 ms) on. 512 ns .. 134 ms covers what these calls take
 * here (an mmap+munmap pair costs ~5 us) in 20 buckets, 21 series with +Inf. */
#define HAK_BPF_LATENCY_SLOTS 20
#define HAK_BPF_LATENCY_FIRST_LOG2 8

/* Map sizes (max_entries), each bounded; a full map is counted in hak_bpf_full[] and
 * exported as hakmemd_bpf_map_full_total{map}, never silent.
 * - tracked: the pids hakmemd exports, at most its max_processes (1024 by default, 4096 at
 *   most: config.cc keeps max_processes within this).
 * - inflight: task storage, one 40-byte record per traced thread, made at its first call and
 *   freed with the thread: bounded by the threads themselves. A record that cannot be made
 *   (no memory) is counted as full.
 * - counts: one per traced process and syscall it used: 4096 processes x 5 calls; 20480
 *   entries of 264 bytes per CPU (per-CPU values: plain adds on the hot path), preallocated
 *   when the map is made: about 5.4 MiB per possible CPU plus keys.
 * - errors: one per process, syscall and errno seen; 4096. */
#define HAK_BPF_TRACKED_MAX 4096
#define HAK_BPF_COUNTS_MAX 20480
#define HAK_BPF_ERRORS_MAX 4096

enum hak_bpf_map_full {
  HAK_BPF_FULL_INFLIGHT = 0,
  HAK_BPF_FULL_COUNTS = 1,
  HAK_BPF_FULL_ERRORS = 2,
  HAK_BPF_FULL_COUNT = 3,
};

/* One system call in progress on a thread, in the thread's task storage (so that a thread
 * that moves between CPUs finds its own start); start_ns 0 between calls. */
struct hak_bpf_inflight {
  __u64 start_ns;  /* bpf_ktime_get_ns() at entry */
  __u64 arg_len;   /* mmap, munmap, madvise: len; mremap: old_len; brk: requested break */
  __u64 arg_extra; /* mremap: new_len; madvise: advice; brk: the break before the call */
  __u32 syscall;   /* enum hak_bpf_syscall */
  __u32 pad;
  __u64 pad2;
};

struct hak_bpf_key {
  __u32 tgid;
  __u32 syscall; /* enum hak_bpf_syscall */
  __u64 start_ns;
};

/* Per process and syscall, since the process was first traced. Bytes are those of calls that
 * succeeded, as asked (not rounded to pages): mmap grows, munmap shrinks, mremap and brk grow
 * or shrink by the difference, madvise neither (its bytes go by advice). */
struct hak_bpf_counts {
  __u64 calls;
  __u64 failed;
  __u64 bytes_grow;
  __u64 bytes_shrink;
  __u64 bytes_none;
  __u64 advice_bytes[HAK_BPF_ADVICE_COUNT];
  __u64 latency_sum_ns;
  __u64 latency_slots[HAK_BPF_LATENCY_SLOTS];
  __u64 pad;
};

struct hak_bpf_error_key {
  __u32 tgid;
  __u16 syscall; /* enum hak_bpf_syscall */
  __u16 error;   /* errno */
  __u64 start_ns;
};

#endif /* HAKMEM_BPF_MEMSYS_ABI_H */
