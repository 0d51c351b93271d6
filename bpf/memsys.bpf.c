/* The kernel's account of the memory system calls: programs on the syscalls tracepoints
 * (enter and exit) of mmap, munmap, mremap, madvise and brk, counting per process and call
 * what hakmemd exports as hakmem_bpf_*. Why tracepoints and these layouts: bpf/README.md.
 *
 * Entry stores the start time and the arguments that matter in the thread's own task storage
 * (inflight: freed with the task, found again on whatever CPU the thread returns on); exit
 * takes them back and counts: calls, failures by errno, bytes, latency. A call whose entry
 * was not seen (it began before the programs were attached, or the storage could not be
 * made) is not counted, so calls == the histogram's count always holds.
 *
 * Cost: these run on every traced call, so the counts are per CPU (plain adds, no locked
 * instruction; hakmemd sums the CPUs) and the in-flight record is task storage, not a hash
 * map (no bucket lock, no delete): measured in README, "What the probes cost".
 *
 * Filter: with trace_all 0 only processes whose tgid is in `tracked` (filled by hakmemd)
 * are counted; the test costs one hash lookup at entry and nothing for untracked exits. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "memsys_abi.h"

/* The stable layouts of the syscalls tracepoints' records
 * (/sys/kernel/tracing/events/syscalls/sys_{enter,exit}_NAME/format): an 8-byte common
 * header, the syscall number, then six arguments or the return value at offset 16. The
 * daemon checks these offsets against the running kernel's format files before loading. */
struct sys_enter_record {
  __u64 common;
  __s32 syscall_nr;
  __u32 pad;
  __u64 args[6];
};

struct sys_exit_record {
  __u64 common;
  __s32 syscall_nr;
  __u32 pad;
  __s64 ret;
};

/* The two kernel fields read through CO-RE (relocated against the kernel's BTF at load):
 * the process leader's start time (identity) and the program break before a brk call. */
struct mm_struct {
  unsigned long brk;
} __attribute__((preserve_access_index));

struct task_struct {
  struct task_struct *group_leader;
  __u64 start_boottime;
  struct mm_struct *mm;
} __attribute__((preserve_access_index));

/* Set by hakmemd through the skeleton's .bss: 1 counts every process (mode `all`). */
__u32 trace_all = 0;
/* Times a map was full when an entry was needed (enum hak_bpf_map_full). */
__u64 hak_bpf_full[HAK_BPF_FULL_COUNT] = {};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, HAK_BPF_TRACKED_MAX);
  __type(key, __u32);   /* tgid */
  __type(value, __u8);  /* unused: presence is the filter */
} tracked SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);  /* required for task storage: one record per task */
  __type(key, int);
  __type(value, struct hak_bpf_inflight);
} inflight SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, HAK_BPF_COUNTS_MAX);
  __type(key, struct hak_bpf_key);
  __type(value, struct hak_bpf_counts);
} counts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, HAK_BPF_ERRORS_MAX);
  __type(key, struct hak_bpf_error_key);
  __type(value, __u64);
} errors SEC(".maps");

static __always_inline void note_full(int which) {
  __sync_fetch_and_add(&hak_bpf_full[which], 1);
}

static __always_inline __u32 log2_u64(__u64 v) {
  __u32 r = 0;
  if (v >> 32) { v >>= 32; r += 32; }
  if (v >> 16) { v >>= 16; r += 16; }
  if (v >> 8) { v >>= 8; r += 8; }
  if (v >> 4) { v >>= 4; r += 4; }
  if (v >> 2) { v >>= 2; r += 2; }
  if (v >> 1) { r += 1; }
  return r;
}

static __always_inline __u32 latency_slot(__u64 ns) {
  __u32 l = log2_u64(ns);
  if (l <= HAK_BPF_LATENCY_FIRST_LOG2) return 0;
  l -= HAK_BPF_LATENCY_FIRST_LOG2;
  return l >= HAK_BPF_LATENCY_SLOTS ? HAK_BPF_LATENCY_SLOTS - 1 : l;
}

static __always_inline __u32 advice_index(__u64 advice) {
  switch (advice) {
    case 4: return HAK_BPF_ADVICE_DONTNEED;   /* MADV_DONTNEED */
    case 8: return HAK_BPF_ADVICE_FREE;       /* MADV_FREE */
    case 14: return HAK_BPF_ADVICE_HUGEPAGE;  /* MADV_HUGEPAGE */
    case 15: return HAK_BPF_ADVICE_NOHUGEPAGE;/* MADV_NOHUGEPAGE */
    case 3: return HAK_BPF_ADVICE_WILLNEED;   /* MADV_WILLNEED */
    default: return HAK_BPF_ADVICE_OTHER;
  }
}

static __always_inline int on_enter(__u32 syscall, struct sys_enter_record *rec) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (!trace_all && !bpf_map_lookup_elem(&tracked, &tgid)) return 0;

  struct task_struct *task = bpf_get_current_task_btf();
  struct hak_bpf_inflight *f =
      bpf_task_storage_get(&inflight, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (!f) {  /* no memory for this task's record: the call goes uncounted, and counted so */
    note_full(HAK_BPF_FULL_INFLIGHT);
    return 0;
  }
  f->syscall = syscall;
  switch (syscall) {
    case HAK_BPF_MREMAP: f->arg_len = rec->args[1]; f->arg_extra = rec->args[2]; break;
    case HAK_BPF_MADVISE: f->arg_len = rec->args[1]; f->arg_extra = rec->args[2]; break;
    case HAK_BPF_BRK:
      f->arg_len = rec->args[0];
      f->arg_extra = BPF_CORE_READ(task, mm, brk);
      break;
    default: f->arg_len = rec->args[1]; break; /* mmap, munmap: len */
  }
  f->start_ns = bpf_ktime_get_ns();
  return 0;
}

static __always_inline struct hak_bpf_counts *counts_for(struct hak_bpf_key *key) {
  struct hak_bpf_counts *c = bpf_map_lookup_elem(&counts, key);
  if (c) return c;
  struct hak_bpf_counts zero = {};
  bpf_map_update_elem(&counts, key, &zero, BPF_NOEXIST);  /* a racing thread may win: fine */
  c = bpf_map_lookup_elem(&counts, key);
  if (!c) note_full(HAK_BPF_FULL_COUNTS);
  return c;
}

static __always_inline void count_error(struct hak_bpf_key *key, __u32 error) {
  struct hak_bpf_error_key ek = {};
  ek.tgid = key->tgid;
  ek.syscall = (__u16)key->syscall;
  ek.error = (__u16)error;
  ek.start_ns = key->start_ns;
  __u64 *n = bpf_map_lookup_elem(&errors, &ek);
  if (!n) {
    __u64 zero = 0;
    bpf_map_update_elem(&errors, &ek, &zero, BPF_NOEXIST);
    n = bpf_map_lookup_elem(&errors, &ek);
    if (!n) { note_full(HAK_BPF_FULL_ERRORS); return; }
  }
  __sync_fetch_and_add(n, 1);
}

static __always_inline int on_exit(__u32 syscall, struct sys_exit_record *rec) {
  struct task_struct *task = bpf_get_current_task_btf();
  struct hak_bpf_inflight *f = bpf_task_storage_get(&inflight, task, 0, 0);
  /* start_ns 0: no entry seen since the last exit (the record outlives each call). */
  if (!f || f->start_ns == 0) return 0;
  __u64 start = f->start_ns;
  f->start_ns = 0;
  if (f->syscall != syscall) return 0;  /* cannot happen for a thread in one call at a time */
  __u64 duration = bpf_ktime_get_ns() - start;
  __u64 len = f->arg_len, extra = f->arg_extra;

  /* This CPU's counts of the process and call: a plain add is safe, since a tracepoint
   * program runs with preemption and migration off, and nothing else writes this CPU's copy. */
  struct hak_bpf_key key = {};
  key.tgid = bpf_get_current_pid_tgid() >> 32;
  key.syscall = syscall;
  key.start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
  struct hak_bpf_counts *c = counts_for(&key);
  if (!c) return 0;

  __s64 ret = rec->ret;
  __u32 error = 0;
  if (syscall == HAK_BPF_BRK) {
    /* brk returns the new break, or the old one when it refuses (glibc then says ENOMEM);
     * brk(0) and any request below the heap's start only ask for the current break. */
    if (len != 0 && (__u64)ret != len && (__u64)ret == extra) error = ENOMEM;
  } else if (ret < 0 && ret >= -4095) {
    error = (__u32)-ret;
  }

  c->calls += 1;
  c->latency_sum_ns += duration;
  __u32 slot = latency_slot(duration);
  if (slot < HAK_BPF_LATENCY_SLOTS) c->latency_slots[slot] += 1;
  if (error) {
    c->failed += 1;
    count_error(&key, error);
    return 0;
  }
  switch (syscall) {
    case HAK_BPF_MMAP: c->bytes_grow += len; break;
    case HAK_BPF_MUNMAP: c->bytes_shrink += len; break;
    case HAK_BPF_MREMAP:
      if (extra >= len) c->bytes_grow += extra - len;
      else c->bytes_shrink += len - extra;
      break;
    case HAK_BPF_MADVISE: {
      __u32 a = advice_index(extra);
      c->bytes_none += len;
      if (a < HAK_BPF_ADVICE_COUNT) c->advice_bytes[a] += len;
      break;
    }
    case HAK_BPF_BRK: {
      __u64 now_brk = (__u64)ret;
      if (now_brk >= extra) c->bytes_grow += now_brk - extra;
      else c->bytes_shrink += extra - now_brk;
      break;
    }
  }
  return 0;
}

#define HAK_BPF_PROGRAMS(name, id)                                                    \
  SEC("tracepoint/syscalls/sys_enter_" #name)                                         \
  int enter_##name(struct sys_enter_record *rec) { return on_enter(id, rec); }        \
  SEC("tracepoint/syscalls/sys_exit_" #name)                                          \
  int exit_##name(struct sys_exit_record *rec) { return on_exit(id, rec); }

HAK_BPF_PROGRAMS(mmap, HAK_BPF_MMAP)
HAK_BPF_PROGRAMS(munmap, HAK_BPF_MUNMAP)
HAK_BPF_PROGRAMS(mremap, HAK_BPF_MREMAP)
HAK_BPF_PROGRAMS(madvise, HAK_BPF_MADVISE)
HAK_BPF_PROGRAMS(brk, HAK_BPF_BRK)

char LICENSE[] SEC("license") = "GPL";
