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


PROCESSES = Row("Processes", [
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

ROWS = [PROCESSES, DAEMON, BPF]


def build():
    return dashboard(UID, "HAKMEM / host",
                     "Every HAKMEM process of the selected hakmemd instances ranked by allocation rate, mapped bytes "
                     "and lock wait, and hakmemd's own health, eBPF probes and their cost.", ROWS)
