"""HAKMEM / host: every process of the selected hakmemd instances ranked, and hakmemd's own
health: scrapes, segments, rejections, its HTTP server and the eBPF probes with their cost."""
import functools

from . import grafana
from .grafana import SEL_HOST, Check, Panel, Row, Target, dashboard

UID = "hakmem-host"
R = "$__rate_interval"
ANY = Check(per="")


def top(expr):
    return f"topk(10, {expr})"


rate = functools.partial(grafana.rate, sel=SEL_HOST)


PROCESSES = Row("Processes (per-process series: hakmemd \"export\" processes or both)", [
    Panel("Top processes by allocation rate", "The ten processes making the most small-block allocations per second.",
          "ops", [Target(top(rate("hakmem_allocs_total", "instance, pid, comm")), "{{pid}} {{comm}}")], width=6),
    Panel("Top processes by mapped bytes", "The ten processes with the most memory mapped by their allocator.",
          "bytes", [Target(top(f"sum by (instance, pid, comm) (hakmem_mapped_bytes{{{SEL_HOST}}})"), "{{pid}} {{comm}}")],
          width=6),
    Panel("Top processes by unused resident bytes",
          "The ten processes whose allocator holds the most resident memory with no live block in it "
          "(recording rule hakmem:unused_resident_bytes).",
          "bytes", [Target(top(f"hakmem:unused_resident_bytes{{{SEL_HOST}}}"), "{{pid}} {{comm}}")], width=6),
    Panel("Top processes by lock wait", "The ten processes whose threads waited longest for allocator locks, per second.",
          "s", [Target(top(rate("hakmem_lock_wait_seconds_total", "instance, pid, comm")), "{{pid}} {{comm}}")], width=6),
])

NO_REJECTIONS = ("no segment was rejected or found stale", f"sum (hakmemd_segments{{{SEL_HOST}, state=~\"rejected|stale\"}})")
DAEMON = Row("hakmemd", [
    Panel("Scrape duration", "Time hakmemd took to read every segment and build a scrape: median and 99th percentile.",
          "s", [Target(f"histogram_quantile(0.5, sum by (instance, le) (rate(hakmemd_scrape_duration_seconds_bucket{{{SEL_HOST}}}[{R}])))",
                       "{{instance}} p50", ANY),
                Target(f"histogram_quantile(0.99, sum by (instance, le) (rate(hakmemd_scrape_duration_seconds_bucket{{{SEL_HOST}}}[{R}])))",
                       "{{instance}} p99", ANY)]),
    Panel("Segments by state", "Segment files in hakmemd's directory, by the state of their last reading.", "short",
          [Target(f"sum by (instance, state) (hakmemd_segments{{{SEL_HOST}}})", "{{instance}} {{state}}", ANY)]),
    Panel("Segment rejections per second by reason", "Segments rejected or found stale, once per segment and reason.",
          "ops", [Target(rate("hakmemd_segment_rejections_total", "instance, reason"), "{{instance}} {{reason}}",
                         Check(per="", empty=NO_REJECTIONS[0], empty_when=NO_REJECTIONS[1]))]),
    Panel("Stale segments removed and errors survived", "Per second: stale segments of dead processes removed, and "
          "errors hakmemd logged and survived, by source.", "ops",
          [Target(rate("hakmemd_stale_segments_removed_total", "instance"), "{{instance}} stale removed", ANY),
           Target(rate("hakmemd_errors_total", "instance, source"), "{{instance}} errors {{source}}",
                  Check(per="", empty="hakmemd logged no error", empty_when=f"sum (hakmemd_errors_total{{{SEL_HOST}}})"))]),
    Panel("HTTP responses per second by code", "Responses hakmemd's HTTP server sent.", "ops",
          [Target(rate("hakmemd_http_responses_total", "instance, code"), "{{instance}} {{code}}", ANY)]),
    Panel("HTTP connections", "Per second: connections accepted, refused (503 at the limit) and closed by reason; "
          "and connections open now.", "short",
          [Target(rate("hakmemd_http_connections_accepted_total", "instance"), "{{instance}} accepted/s", ANY),
           Target(rate("hakmemd_http_connections_refused_total", "instance"), "{{instance}} refused/s", ANY),
           Target(rate("hakmemd_http_connections_closed_total", "instance, reason"), "{{instance}} closed/s {{reason}}", ANY),
           Target(f"sum by (instance) (hakmemd_http_connections_open{{{SEL_HOST}}})", "{{instance}} open", ANY),
           Target(f"sum by (instance) (rate(hakmemd_http_response_bytes_total{{{SEL_HOST}}}[{R}]))",
                  "{{instance}} response bytes/s", ANY)]),
    Panel("Build", "hakmemd's version, revision and the segment ABI it reads.", "short",
          [Target(f"hakmemd_build_info{{{SEL_HOST}}}", "{{version}} {{revision}}", Check(per="", hi=1.0))],
          kind="table", width=24, height=4),
])

BPF = Row("eBPF probes", [
    Panel("Probes up", "1 when the probes are loaded (reason ok), else 0 and why; the mode they run in.", "bool",
          [Target(f"hakmem_bpf_up{{{SEL_HOST}}}", "{{instance}} {{mode}} {{reason}}", Check(per="", hi=1.0)),
           Target(f"sum by (instance) (hakmemd_bpf_attached{{{SEL_HOST}}})", "{{instance}} attached", Check(per="", hi=1.0))],
          kind="stat", width=8),
    Panel("Probe CPU, seconds per second", "Kernel time the probes' programs ran, per second of wall time, by program "
          "(the kernel's own accounting).", "s",
          [Target(rate("hakmemd_bpf_prog_run_seconds_total", "instance, program"), "{{instance}} {{program}}", ANY)], width=8),
    Panel("Cost per probe run", "Average time of one run of each program.", "s",
          [Target(f"{rate('hakmemd_bpf_prog_run_seconds_total', 'instance, program')} / "
                  f"({rate('hakmemd_bpf_prog_runs_total', 'instance, program')} > 0)", "{{instance}} {{program}}",
                  Check(per="", empty="no traced call ran in the window",
                        empty_when=f"sum (rate(hakmemd_bpf_prog_runs_total{{{SEL_HOST}}}[{R}]))"))], width=8),
    Panel("Probe maps full", "Per second: updates lost because a probe map was full, by map.", "ops",
          [Target(rate("hakmemd_bpf_map_full_total", "instance, map"), "{{instance}} {{map}}", ANY)], width=24, height=6),
])

COMM = 'instance=~"$instance", comm=~"$comm"'
crate = functools.partial(grafana.rate, sel=COMM)
ALL_COMMS = Check(per="")
PROGRAMS = Row("Programs (per-comm aggregates: hakmemd \"export\" aggregates or both)", [
    Panel("Processes per program", "Processes of each comm exported now, and per second those that ended: their final "
          "counts stay in the program's totals.", "short",
          [Target(f"sum by (comm) (hakmem_comm_processes{{{COMM}}})", "{{comm}}", ALL_COMMS),
           Target(crate("hakmem_comm_processes_exited_total", "comm"), "{{comm}} ended/s", ALL_COMMS)]),
    Panel("Allocations and frees per second by program", "Small-block allocations, frees and remote frees of every "
          "process of the comm, those that ended included.", "ops",
          [Target(crate("hakmem_comm_allocs_total", "comm"), "{{comm}} allocations", ALL_COMMS),
           Target(crate("hakmem_comm_frees_total", "comm"), "{{comm}} frees", ALL_COMMS),
           Target(crate("hakmem_comm_remote_frees_total", "comm"), "{{comm}} remote frees", ALL_COMMS)]),
    Panel("Refill-path share by program", "Each path's share of the objects refilled into the thread caches of the "
          "comm's processes; the paths of a program sum to 100 %.", "percentunit",
          [Target(f"{crate('hakmem_comm_refill_objects_total', 'comm, path')} / ignoring (path) group_left () "
                  f"({crate('hakmem_comm_refill_objects_total', 'comm')} > 0)", "{{comm}} {{path}}",
                  Check(per="", lo=0.0, hi=1.0, sums_to_one_by=("comm",)))], stacking="normal", max=1),
    Panel("Refills per second by program and path", "Thread-cache refills that drew at least one object from the path.",
          "ops", [Target(crate("hakmem_comm_refills_total", "comm, path"), "{{comm}} {{path}}", ALL_COMMS)]),
    Panel("Locks by program", "Per second: acquisitions and contended acquisitions of every allocator lock, and "
          "seconds waited and held; and the longest single wait of any process of the comm.", "short",
          [Target(crate("hakmem_comm_lock_acquisitions_total", "comm"), "{{comm}} acquisitions/s", ALL_COMMS),
           Target(crate("hakmem_comm_lock_contended_total", "comm"), "{{comm}} contended/s", ALL_COMMS),
           Target(crate("hakmem_comm_lock_wait_seconds_total", "comm"), "{{comm}} wait s/s", ALL_COMMS),
           Target(crate("hakmem_comm_lock_hold_seconds_total", "comm"), "{{comm}} hold s/s", ALL_COMMS),
           Target(f"max by (comm) (hakmem_comm_lock_wait_seconds_max{{{COMM}}})", "{{comm}} longest wait (s)", ALL_COMMS)]),
    Panel("Shared pool by program", "Slabs obtained per second by shared-pool stage, and releases by kind.", "ops",
          [Target(crate("hakmem_comm_pool_acquires_total", "comm, stage"), "{{comm}} {{stage}}", ALL_COMMS),
           Target(crate("hakmem_comm_pool_releases_total", "comm, kind"), "{{comm}} {{kind}}", ALL_COMMS)]),
    Panel("Memory by program", "Bytes the comm's live processes have mapped, resident and in live blocks.", "bytes",
          [Target(f"sum by (comm) (hakmem_comm_mapped_bytes{{{COMM}}})", "{{comm}} mapped", ALL_COMMS),
           Target(f"sum by (comm) (hakmem_comm_resident_bytes{{{COMM}}})", "{{comm}} resident", ALL_COMMS),
           Target(f"sum by (comm) (hakmem_comm_live_bytes{{{COMM}}})", "{{comm}} live", ALL_COMMS)]),
    Panel("Caches by program", "Bytes of freed spans above 8 MiB kept for reuse, and bytes the thread caches may "
          "hold (capacity x block size), over the comm's live processes.", "bytes",
          [Target(f"sum by (comm) (hakmem_comm_span_cache_bytes{{{COMM}}})", "{{comm}} span cache", ALL_COMMS),
           Target(f"sum by (comm) (hakmem_comm_thread_cache_capacity_bytes{{{COMM}}})", "{{comm}} thread-cache capacity",
                  ALL_COMMS)]),
    Panel("Cache events by program", "Per second: what the span cache did (hit, miss, trim, evict) and thread-cache "
          "capacity changes (grow, shrink), over every process of the comm.", "ops",
          [Target(crate("hakmem_comm_span_cache_events_total", "comm, event"), "{{comm}} span {{event}}", ALL_COMMS),
           Target(crate("hakmem_comm_thread_cache_resizes_total", "comm, direction"), "{{comm}} thread cache {{direction}}",
                  ALL_COMMS)]),
    Panel("SuperSlabs and slabs by program", "SuperSlabs by state and slabs bound to classes, over the comm's live "
          "processes.", "short",
          [Target(f"sum by (comm, state) (hakmem_comm_superslabs{{{COMM}}})", "{{comm}} SuperSlabs {{state}}", ALL_COMMS),
           Target(f"sum by (comm) (hakmem_comm_slabs{{{COMM}}})", "{{comm}} slabs", ALL_COMMS)]),
    Panel("Memory syscalls by program", "The allocator's own memory syscalls per second, and their bytes, by syscall.",
          "ops", [Target(crate("hakmem_comm_os_calls_total", "comm, syscall"), "{{comm}} {{syscall}}", ALL_COMMS),
                  Target(crate("hakmem_comm_os_bytes_total", "comm, syscall"), "{{comm}} {{syscall}} bytes", ALL_COMMS)]),
    Panel("Large blocks and threads by program", "Per second: allocations and frees above 32 KiB, and threads that "
          "started and exited using the allocator.", "ops",
          [Target(crate("hakmem_comm_large_allocs_total", "comm"), "{{comm}} large allocations", ALL_COMMS),
           Target(crate("hakmem_comm_large_frees_total", "comm"), "{{comm}} large frees", ALL_COMMS),
           Target(crate("hakmem_comm_threads_started_total", "comm"), "{{comm}} threads started", ALL_COMMS),
           Target(crate("hakmem_comm_threads_exited_total", "comm"), "{{comm}} threads exited", ALL_COMMS)]),
])

ROWS = [PROCESSES, PROGRAMS, DAEMON, BPF]


# The host dashboard works with "export": "aggregates" too, where no hakmem_process_info is
# served: its instance and comm variables come from families served in every mode.
HOST_VARS = {
    "instance": "label_values(hakmemd_build_info, instance)",
    "comm": 'label_values({__name__=~"hakmem_process_info|hakmem_comm_processes", instance=~"$instance"}, comm)',
}


def build():
    d = _build()
    for v in d["templating"]["list"]:
        if v["name"] in HOST_VARS:
            v["definition"] = HOST_VARS[v["name"]]
            v["query"]["query"] = HOST_VARS[v["name"]]
    return d


def _build():
    return dashboard(UID, "HAKMEM / host",
                     "Every HAKMEM process of the selected hakmemd instances ranked by allocation rate, mapped bytes "
                     "and lock wait (per-process series); every program (comm) from hakmemd's per-comm aggregates, "
                     "which also work with \"export\": \"aggregates\"; and hakmemd's own health, eBPF probes and their "
                     "cost.", ROWS)
