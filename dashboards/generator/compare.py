"""HAKMEM / compare: two sides side by side, each the processes whose setting $key has one value
($value_a, $value_b; the profile by default), optionally narrowed to pids ($pid_a, $pid_b), so
it compares two settings or two processes. Processes join their setting through
hakmem_config_info, one series per process and key, on (instance, pid)."""
from .grafana import Check, Panel, Row, Target, dashboard

UID = "hakmem-compare"
R = "$__rate_interval"
HOST = 'instance=~"$instance"'
SIDES = (("A", 'key="$key", value="$value_a", pid=~"$pid_a"'), ("B", 'key="$key", value="$value_b", pid=~"$pid_b"'))


def side(expr, matchers):
    """expr (a vector with instance and pid labels) kept for the processes of one side."""
    return f"({expr}) * on (instance, pid) group_left () hakmem_config_info{{{HOST}, {matchers}}}"


def side_rate(family, by, matchers, sel=HOST):
    return f"sum by ({by}) ({side(f'rate({family}{{{sel}}}[{R}])', matchers)})"


def hit_share(matchers):
    sel = HOST + ', class=~"$class"'
    return (f"{side_rate('hakmem_refill_objects_total', 'class, path', matchers, sel)} / ignoring (path) group_left () "
            f"({side_rate('hakmem_refill_objects_total', 'class', matchers, sel)} > 0)")


SHARES = Check(per="", lo=0.0, hi=1.0, sums_to_one_by=("class",))
HIT_RATES = Row("Refill-path hit rates", [
    Panel(f"Hit rate by class, side {name}",
          f"Each refill path's share of the objects refilled per class, summed over the processes of side {name}.",
          "percentunit", [Target(hit_share(m), "class {{class}} {{path}}", SHARES)], stacking="normal", max=1)
    for name, m in SIDES
] + [
    Panel("Hit rate difference, B - A", "Per class and path, side B's share minus side A's: positive where B draws more "
          "from the path.", "percentunit",
          [Target(f"({hit_share(SIDES[1][1])}) - ({hit_share(SIDES[0][1])})", "class {{class}} {{path}}",
                  Check(per="", lo=-1.0, hi=1.0))], width=24),
])

THROUGHPUT = Row("Throughput and memory", [
    Panel("Allocations per second", "Small-block allocations of each side's processes, summed.", "ops",
          [Target(side_rate("hakmem_allocs_total", "", m), name, Check(per="")) for name, m in SIDES]),
    Panel("Large allocations per second", "Allocations above 32 KiB of each side's processes, summed.", "ops",
          [Target(side_rate("hakmem_large_allocs_total", "", m), name, Check(per="")) for name, m in SIDES]),
    Panel("Mapped bytes", "Bytes mapped from the OS by each side's processes, summed.", "bytes",
          [Target(f"sum ({side(f'hakmem_mapped_bytes{{{HOST}}}', m)})", name, Check(per="")) for name, m in SIDES]),
    Panel("Live bytes", "Bytes in live blocks of each side's processes, summed.", "bytes",
          [Target(f"sum ({side(f'hakmem_live_bytes{{{HOST}}}', m)})", name, Check(per="")) for name, m in SIDES]),
    Panel("Resident bytes", "Of each side's mapped bytes, those its allocators have touched and not discarded, summed.",
          "bytes", [Target(f"sum ({side(f'hakmem_resident_bytes{{{HOST}}}', m)})", name, Check(per=""))
                    for name, m in SIDES]),
    Panel("Thread-cache capacity", "Bytes the thread caches of each side's live heaps may hold (capacity x block size), "
          "summed: what HAKMEM_TCACHE_MAX_BYTES and the caches' growth leave them.", "bytes",
          [Target(f"sum ({side(f'hakmem_thread_cache_capacity_bytes{{{HOST}}}', m)})", name, Check(per=""))
           for name, m in SIDES]),
    Panel("Span cache bytes", "Bytes of freed spans above 8 MiB each side's processes keep mapped for reuse, summed.",
          "bytes", [Target(f"sum ({side(f'hakmem_span_cache_bytes{{{HOST}}}', m)})", name, Check(per=""))
                    for name, m in SIDES]),
    Panel("Fragmentation share", "Of each side's resident bytes, the share holding no live block (recording rule "
          "hakmem:unused_resident_bytes over the resident bytes).", "percentunit",
          [Target(f"sum ({side(f'hakmem:unused_resident_bytes{{{HOST}}}', m)}) / "
                  f"(sum ({side(f'hakmem_resident_bytes{{{HOST}}}', m)}) > 0)", name, Check(per="", lo=0.0, hi=1.0))
           for name, m in SIDES], max=1),
    Panel("Resident bytes per live byte at the peak",
          "Each side's peak resident bytes over its live bytes at the peak, its processes summed (each at its own "
          "peak): the memory the sides' largest working sets cost per byte in use.", "short",
          [Target(f"sum ({side(f'hakmem_peak_resident_bytes{{{HOST}}}', m)}) / "
                  f"(sum ({side(f'hakmem_peak_live_bytes{{{HOST}}}', m)}) > 0)", name, Check(per=""))
           for name, m in SIDES]),
])

LOCKS = Row("Locks", [
    Panel("Lock acquisitions per second", "Allocator lock acquisitions of each side's processes, by lock.", "ops",
          [Target(side_rate("hakmem_lock_acquisitions_total", "lock", m), f"{name} {{{{lock}}}}", Check(per=""))
           for name, m in SIDES]),
    Panel("Lock wait, seconds per second", "Time waited for each lock by each side's processes, per second.", "s",
          [Target(side_rate("hakmem_lock_wait_seconds_total", "lock", m), f"{name} {{{{lock}}}}", Check(per=""))
           for name, m in SIDES]),
])

ROWS = [HIT_RATES, THROUGHPUT, LOCKS]

EXTRA_VARS = (
    ("key", "Setting", f"label_values(hakmem_config_info{{{HOST}}}, key)", False),
    ("value_a", "Side A value", f'label_values(hakmem_config_info{{{HOST}, key="$key"}}, value)', False),
    ("value_b", "Side B value", f'label_values(hakmem_config_info{{{HOST}, key="$key"}}, value)', False),
    ("pid_a", "Side A PIDs", f'label_values(hakmem_config_info{{{HOST}, key="$key", value="$value_a"}}, pid)', True),
    ("pid_b", "Side B PIDs", f'label_values(hakmem_config_info{{{HOST}, key="$key", value="$value_b"}}, pid)', True),
)


def build():
    d = dashboard(UID, "HAKMEM / compare",
                  "Two settings (HAKMEM_PROFILE by default) or two processes side by side: refill-path hit rates "
                  "per class and their difference, throughput, memory and locks.", ROWS, EXTRA_VARS)
    for v in d["templating"]["list"]:
        if v["name"] == "key":
            v["current"] = {"text": "HAKMEM_PROFILE", "value": "HAKMEM_PROFILE"}
    return d
