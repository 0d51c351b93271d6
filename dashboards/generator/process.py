"""HAKMEM / process: one or more processes in depth (the pid variable), one panel per function
of the allocator: settings, allocation rates, refill paths, locks, the shared pool, occupancy,
the span cache and thread-cache capacities, and OS calls as the allocator counts them beside
what the kernel saw."""
from .grafana import SEL, SEL_CLASS, Check, Panel, Row, Target, dashboard, rate

UID = "hakmem-process"
R = "$__rate_interval"
SHARE = Check(lo=0.0, hi=1.0)


def share(num_family, den_family, by, sel=SEL):
    """A ratio of two rates; groups whose denominator did not move are left out, not NaN."""
    return f"{rate(num_family, by, sel)} / ({rate(den_family, by, sel)} > 0)"


PROCESS = Row("Process and settings", [
    Panel("Processes", "Every selected process hakmemd exports, with the segment ABI it writes.",
          "short", [Target(f"hakmem_process_info{{{SEL}}}", "{{pid}} {{comm}}", Check(hi=1.0))],
          kind="table", width=8),
    Panel("Settings, profile first",
          "Each effective HAKMEM_* setting and where it came from (source: default, profile or env). "
          "HAKMEM_PROFILE comes first: the preset the other values start from.",
          "short", [Target(f'hakmem_config_info{{{SEL}, key="HAKMEM_PROFILE"}}', "{{pid}} {{value}}", Check(hi=1.0)),
                    Target(f'hakmem_config_info{{{SEL}, key!="HAKMEM_PROFILE"}}', "{{pid}} {{key}}={{value}}",
                           Check(hi=1.0))],
          kind="table", width=16),
    Panel("Stopped", "1 while the kernel shows the process stopped (SIGSTOP, a debugger): its counts are as of the stop.",
          "bool", [Target(f"hakmem_process_stopped{{{SEL}}}", "{{pid}} {{comm}}", Check(hi=1.0))],
          kind="stat", width=8, height=4),
    Panel("Threads started and exited", "Threads that used the allocator, per second.", "ops",
          [Target(rate("hakmem_threads_started_total", "pid, comm"), "{{pid}} started"),
           Target(rate("hakmem_threads_exited_total", "pid, comm"), "{{pid}} exited")], width=16, height=4),
])

ALLOCATIONS = Row("Allocations", [
    Panel("Allocations per second by class", "Small-block allocations served, per size class (block size in bytes).",
          "ops", [Target(rate("hakmem_allocs_total", "pid, class, size", SEL_CLASS), "{{pid}} class {{class}} ({{size}} B)")]),
    Panel("Frees per second by class", "Frees of small blocks, per size class, remote frees included.",
          "ops", [Target(rate("hakmem_frees_total", "pid, class, size", SEL_CLASS), "{{pid}} class {{class}} ({{size}} B)")]),
    Panel("Remote-free share by class",
          "Of a class's frees, the share made by a thread other than the block's owner (lock-free remote list).",
          "percentunit", [Target(share("hakmem_remote_frees_total", "hakmem_frees_total", "pid, class, size", SEL_CLASS),
                                 "{{pid}} class {{class}}", SHARE)], max=1),
    Panel("Large allocations and frees per second", "Blocks above 32 KiB: arena runs and page spans.", "ops",
          [Target(rate("hakmem_large_allocs_total", "pid, comm"), "{{pid}} allocations"),
           Target(rate("hakmem_large_frees_total", "pid, comm"), "{{pid}} frees")]),
])

REFILLS = Row("Refill paths", [
    Panel("Refill-path hit rate by class",
          "Each path's share of the objects refilled into thread caches, per class: stacked, the paths of a class sum to 100 %.",
          "percentunit",
          [Target(f"{rate('hakmem_refill_objects_total', 'pid, class, path', SEL_CLASS)} / ignoring (path) group_left () "
                  f"({rate('hakmem_refill_objects_total', 'pid, class', SEL_CLASS)} > 0)",
                  "{{pid}} class {{class}} {{path}}", Check(lo=0.0, hi=1.0, sums_to_one_by=("pid", "class")))],
          stacking="normal", max=1, width=24),
    Panel("Refills per second by path", "Thread-cache refills that drew at least one object from the path.", "ops",
          [Target(rate("hakmem_refills_total", "pid, path", SEL_CLASS), "{{pid}} {{path}}")]),
    Panel("Objects per refill by path", "Objects a path supplied per refill that drew from it.", "short",
          [Target(share("hakmem_refill_objects_total", "hakmem_refills_total", "pid, path", SEL_CLASS), "{{pid}} {{path}}")]),
])

LOCKED = ('no allocator lock was taken in the window: the workload ran from thread caches',
          f'sum by (pid) (rate(hakmem_lock_acquisitions_total{{{SEL}}}[{R}]))')
LOCKS = Row("Locks", [
    Panel("Lock acquisitions per second", "Acquisitions of each allocator lock.", "ops",
          [Target(rate("hakmem_lock_acquisitions_total", "pid, lock"), "{{pid}} {{lock}}")]),
    Panel("Contended share", "Of a lock's acquisitions, the share that had to wait.", "percentunit",
          [Target(share("hakmem_lock_contended_total", "hakmem_lock_acquisitions_total", "pid, lock"), "{{pid}} {{lock}}",
                  Check(lo=0.0, hi=1.0, empty=LOCKED[0], empty_when=LOCKED[1]))], max=1),
    Panel("Lock wait, seconds per second", "Time threads spent waiting for each lock, per second of wall time.", "s",
          [Target(rate("hakmem_lock_wait_seconds_total", "pid, lock"), "{{pid}} {{lock}}")]),
    Panel("Lock hold, seconds per second, and longest wait",
          "Time each lock was held per second of wall time, and the longest single wait since the process started.", "s",
          [Target(rate("hakmem_lock_hold_seconds_total", "pid, lock"), "{{pid}} {{lock}} held"),
           Target(f"max by (pid, lock) (hakmem_lock_wait_seconds_max{{{SEL}}})", "{{pid}} {{lock}} longest wait")]),
])

POOL = Row("Shared pool", [
    Panel("Pool acquires per second by stage", "Slabs heaps obtained, by the stage of the shared pool that supplied them.",
          "ops", [Target(rate("hakmem_pool_acquires_total", "pid, stage"), "{{pid}} {{stage}}")]),
    Panel("Pool releases per second by kind", "Releases into the shared pool, by what the release did.", "ops",
          [Target(rate("hakmem_pool_releases_total", "pid, kind"), "{{pid}} {{kind}}")]),
])

OCCUPANCY = Row("Occupancy", [
    Panel("SuperSlabs by state", "2 MiB SuperSlabs the process holds, active or empty.", "short",
          [Target(f"sum by (pid, state) (hakmem_superslabs{{{SEL}}})", "{{pid}} {{state}}")]),
    Panel("Slabs in use by class", "Slabs bound to each size class.", "short",
          [Target(f"sum by (pid, class, size) (hakmem_slabs{{{SEL_CLASS}}})", "{{pid}} class {{class}} ({{size}} B)")]),
    Panel("Mapped, resident and live bytes",
          "Bytes the allocator has mapped from the OS; of those, the ones it has touched and not discarded "
          "(resident: at most what its mappings hold in RAM); and bytes in live blocks (block sizes).",
          "bytes", [Target(f"sum by (pid) (hakmem_mapped_bytes{{{SEL}}})", "{{pid}} mapped"),
                    Target(f"sum by (pid) (hakmem_resident_bytes{{{SEL}}})", "{{pid}} resident"),
                    Target(f"sum by (pid) (hakmem_live_bytes{{{SEL}}})", "{{pid}} live")]),
    Panel("Fragmentation: resident bytes holding no live block",
          "Resident minus live bytes: freed blocks and slabs the allocator keeps, block rounding, metadata. "
          "Never-touched and discarded pages are not in it (they are in mapped bytes only). Recording rule "
          "hakmem:unused_resident_bytes; alert HakmemFragmentationGrowing.",
          "bytes", [Target(f"hakmem:unused_resident_bytes{{{SEL}}}", "{{pid}} unused")], width=6),
    Panel("Fragmentation share",
          "Of the resident bytes, the share holding no live block (recording rule hakmem:fragmentation_ratio): "
          "0 all in use, near 1 almost all held idle.",
          "percentunit", [Target(f"hakmem:fragmentation_ratio{{{SEL}}}", "{{pid}}", SHARE)], max=1, width=6),
    Panel("Footprint at the peak",
          "When the resident bytes last reached a new high (recorded within 1/64 of it): the resident bytes, the "
          "mapped bytes and the bytes in live blocks of that moment. The largest working set, and what it cost.",
          "bytes", [Target(f"sum by (pid) (hakmem_peak_resident_bytes{{{SEL}}})", "{{pid}} resident"),
                    Target(f"sum by (pid) (hakmem_peak_mapped_bytes{{{SEL}}})", "{{pid}} mapped"),
                    Target(f"sum by (pid) (hakmem_peak_live_bytes{{{SEL}}})", "{{pid}} live")]),
    Panel("Bytes held per live byte at the peak",
          "At the peak: resident bytes and mapped bytes over live bytes. 1 would be no overhead at all; "
          "resident/live is the memory the program's largest working set cost, mapped/live includes "
          "address space never touched or given back.",
          "short", [Target(f"sum by (pid) (hakmem_peak_resident_bytes{{{SEL}}}) / "
                           f"(sum by (pid) (hakmem_peak_live_bytes{{{SEL}}}) > 0)", "{{pid}} resident / live"),
                    Target(f"sum by (pid) (hakmem_peak_mapped_bytes{{{SEL}}}) / "
                           f"(sum by (pid) (hakmem_peak_live_bytes{{{SEL}}}) > 0)", "{{pid}} mapped / live")],
          width=12),
])

NO_SPANS = ('no request above 8 MiB reached the span cache in the window (or the segment predates ABI 1.5)',
            f'sum by (pid) (rate(hakmem_span_cache_events_total{{{SEL}, event=~"hit|miss"}}[{R}]))')
HITS, REQUESTS = SEL + ', event="hit"', SEL + ', event=~"hit|miss"'
CACHES = Row("Caches: freed spans and thread caches", [
    Panel("Span cache bytes", "Bytes of freed spans above 8 MiB the allocator keeps mapped for reuse (part of the "
          "mapped bytes): what HAKMEM_LARGE_CACHE_MB and HAKMEM_LARGE_CACHE_PEAK bound.", "bytes",
          [Target(f"sum by (pid) (hakmem_span_cache_bytes{{{SEL}}})", "{{pid}} cached")], width=8),
    Panel("Span cache events per second",
          "What the span cache did: hit (a request served from it), miss (a span mapped anew), trim (a cached span "
          "cut down to the request), evict (a cached span unmapped: over the budget, decayed, or malloc_trim).", "ops",
          [Target(rate("hakmem_span_cache_events_total", "pid, event"), "{{pid}} {{event}}")], width=8),
    Panel("Span cache hit ratio", "Of the requests that reached the span cache, the share it served: hits over hits "
          "and misses (recording rule hakmem:span_cache_hit_ratio:rate5m over 5 minutes).", "percentunit",
          [Target(f"{rate('hakmem_span_cache_events_total', 'pid', HITS)} / "
                  f"({rate('hakmem_span_cache_events_total', 'pid', REQUESTS)} > 0)",
                  "{{pid}}", Check(lo=0.0, hi=1.0, empty=NO_SPANS[0], empty_when=NO_SPANS[1]))], max=1, width=8),
    Panel("Thread-cache capacity by class",
          "Bytes the thread caches of each class may hold, over the live heaps (capacity in blocks x block size): it "
          "grows where blocks went to the slabs and came back, or where refills take other threads' frees in long lists, "
          "within HAKMEM_TCACHE_MAX_BYTES.", "bytes",
          [Target(f"sum by (pid, class, size) (hakmem_thread_cache_capacity_bytes{{{SEL_CLASS}}})",
                  "{{pid}} class {{class}} ({{size}} B)")]),
    Panel("Thread-cache resizes per second by class",
          "Capacity changes of the thread caches of each class: grow (the list filled up after running empty, or a refill "
          "took a longer list whole) and shrink (it filled up again without running empty).", "ops",
          [Target(rate("hakmem_thread_cache_resizes_total", "pid, class, direction", SEL_CLASS),
                  "{{pid}} class {{class}} {{direction}}")]),
])

NO_ERRORS = ('no traced memory syscall failed', f'sum by (pid) (hakmem_bpf_syscall_errors_total{{{SEL}}})')
OS = Row("OS calls: the allocator and the kernel", [
    Panel("Memory syscalls per second, allocator and kernel",
          "The allocator's own mmap/munmap/madvise/mremap calls as it counts them, beside every such call the kernel "
          "saw the process make (eBPF), brk included.", "ops",
          [Target(rate("hakmem_os_calls_total", "pid, syscall"), "{{pid}} {{syscall}} (allocator)"),
           Target(rate("hakmem_bpf_syscalls_total", "pid, syscall"), "{{pid}} {{syscall}} (kernel)")]),
    Panel("Memory syscall bytes per second", "Bytes passed to the allocator's calls, and the kernel's view by direction.",
          "Bps", [Target(rate("hakmem_os_bytes_total", "pid, syscall"), "{{pid}} {{syscall}} (allocator)"),
                  Target(rate("hakmem_bpf_syscall_bytes_total", "pid, syscall, direction"),
                         "{{pid}} {{syscall}} {{direction}} (kernel)")]),
    Panel("Unattributed calls and bytes per second",
          "The cross-check: what the kernel saw the process make that its allocator did not (the program's own "
          "mappings, other libraries).", "ops",
          [Target(rate("hakmem_bpf_unattributed_calls_total", "pid, syscall"), "{{pid}} {{syscall}} calls"),
           Target(rate("hakmem_bpf_unattributed_bytes_total", "pid, syscall"), "{{pid}} {{syscall}} bytes")]),
    Panel("madvise bytes per second by advice", "Successful madvise bytes, by advice.", "Bps",
          [Target(rate("hakmem_bpf_madvise_bytes_total", "pid, advice"), "{{pid}} {{advice}}")]),
    Panel("Memory syscall latency", "Entry to exit of each traced call (eBPF, log2 buckets from 512 ns).", "s",
          [Target(f"sum by (le) (rate(hakmem_bpf_syscall_duration_seconds_bucket{{{SEL}}}[{R}]))", "{{le}}",
                  Check(per=""))], kind="heatmap"),
    Panel("Failed memory syscalls per second", "Calls that failed, by errno name.", "ops",
          [Target(rate("hakmem_bpf_syscall_errors_total", "pid, syscall, errno"), "{{pid}} {{syscall}} {{errno}}",
                  Check(empty=NO_ERRORS[0], empty_when=NO_ERRORS[1]))]),
])

ROWS = [PROCESS, ALLOCATIONS, REFILLS, LOCKS, POOL, OCCUPANCY, CACHES, OS]


def build():
    return dashboard(UID, "HAKMEM / process",
                     "What the allocator does inside the selected processes: settings, allocation rates, "
                     "refill-path hit rates, locks, the shared pool, occupancy, caches and memory syscalls.", ROWS)
