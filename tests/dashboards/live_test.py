"""Every panel query of every dashboard against a real Prometheus (Debian's, on loopback,
scraping a real hakmemd every second) while two real preloaded workloads cycle, one under
HAKMEM_PROFILE=balanced and one under low-memory, with config/prometheus/rules loaded: every
recording rule returns its series too. Each expression runs as Grafana would run
it with every variable at All ($__rate_interval = 4 s, the compare dashboard's sides set to the
two profiles) and must meet its panel's Check (dashboards/generator/grafana.py): a series for
each workload pid (or at least one series), every value a number within its bounds, hit-rate
shares summing to 1 per group. A query that may be empty says why, and the test checks that
reason holds. Queries are retried until all pass or 60 s have gone; the last round is printed as
a table. usage: live_test.py --source DIR --hakmemd BIN --preload LIB --steady BIN"""
import math
import os
import re
import sys
import time

SOURCE = sys.argv[sys.argv.index("--source") + 1]
sys.path.insert(0, os.path.join(SOURCE, "tests", "e2e"))
sys.path.insert(0, os.path.join(SOURCE, "dashboards"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from generator import DASHBOARDS  # noqa: E402
from generator.grafana import Check, all_targets  # noqa: E402
from lint_test import substitute  # noqa: E402

PROFILES = ("balanced", "low-memory")
RULE_FILES = ("hakmem-recording.yml", "hakmem-alerts.yml")
# Each recording rule over the live workloads: a series for each (or for the host), shares in
# [0, 1]. The eBPF ratio needs the probes up, as every e2e daemon has them.
RECORDED = {
    "hakmem:refill_path_share:rate5m": Check(lo=0.0, hi=1.0, sums_to_one_by=("pid", "class")),
    "hakmem:refill_path_share_all_classes:rate5m": Check(lo=0.0, hi=1.0, sums_to_one_by=("pid",)),
    "hakmem:lock_contended_ratio:rate5m": Check(lo=0.0, hi=1.0),
    "hakmem:lock_acquisitions:rate5m": Check(),
    "hakmem:lock_wait_seconds:rate5m": Check(),
    "hakmem:unattributed_calls_ratio:rate5m": Check(lo=0.0, hi=1.0),
    "hakmem:bpf_syscalls:rate5m": Check(),
    "hakmem:unused_resident_bytes": Check(),
    "hakmem:fragmentation_ratio": Check(lo=0.0, hi=1.0),
    # The workloads' blocks stay far below the span cache's 8 MiB: no request reaches it.
    "hakmem:span_cache_hit_ratio:rate5m": Check(
        lo=0.0, hi=1.0, empty="no request above 8 MiB reached the span cache",
        empty_when='sum by (pid) (rate(hakmem_span_cache_events_total{event=~"hit|miss"}[5m]))'),
}
# Queries that must return nothing: the fragmentation panels clamp at 0, so the order they
# rest on (live <= resident <= mapped, per process) is checked on the raw gauges.
NEVER = {
    "resident above mapped": "sum by (pid) (hakmem_resident_bytes) > sum by (pid) (hakmem_mapped_bytes)",
    "live above resident": "sum by (pid) (hakmem_live_bytes) > sum by (pid) (hakmem_resident_bytes)",
}


def recorded_in_files(paths):
    """The names of every recording rule in the rule files (stdlib only: no YAML parser)."""
    names = set()
    for path in paths:
        with open(path) as f:
            names |= set(re.findall(r"^\s*- record:\s*(\S+)", f.read(), re.M))
    return names


def judge(prom, check, expr, pids):
    """'' when the result meets the check, else what is wrong; and a short note."""
    result, err = prom.query(substitute(expr))
    if result is None:
        return err, ""
    for s in result:
        v = float(s["value"][1])
        if math.isnan(v) or math.isinf(v):
            return f"value {v} for {s['metric']}", ""
        if check.lo is not None and v < check.lo - 1e-9:
            return f"value {v} < {check.lo} for {s['metric']}", ""
        if check.hi is not None and v > check.hi + 1e-9:
            return f"value {v} > {check.hi} for {s['metric']}", ""
    if check.sums_to_one_by:
        groups = {}
        for s in result:
            key = tuple(s["metric"].get(l, "") for l in check.sums_to_one_by)
            groups[key] = groups.get(key, 0.0) + float(s["value"][1])
        for key, total in groups.items():
            if abs(total - 1.0) > 1e-6:
                return f"shares of {dict(zip(check.sums_to_one_by, key))} sum to {total}", ""
    wanted = [str(p) for p in pids] if check.per == "pid" else [None]
    notes = []
    for pid in wanted:
        have = [s for s in result if pid is None or s["metric"].get("pid") == pid]
        if have:
            continue
        if not check.empty:
            return f"no series{' for pid ' + pid if pid else ''}", ""
        why, err = prom.query(substitute(check.empty_when))
        if why is None:
            return f"empty, and its reason's query failed: {err}", ""
        mine = [s for s in why if pid is None or s["metric"].get("pid") in (pid, None)]
        if any(float(s["value"][1]) != 0 for s in mine):
            return f"empty{' for pid ' + pid if pid else ''}, but not because {check.empty}", ""
        notes.append(f"empty{' for ' + pid if pid else ''}: {check.empty}")
    return "", "; ".join(notes) or f"{len(result)} series"


def test_every_panel_query_returns_what_its_panel_shows():
    seg = harness.segment_dir()
    d = harness.Daemon(seg, export="both")   # the host dashboard's Programs row reads the aggregates
    loads = [harness.Workload(seg, [harness.ARGS["steady"], "10", "cycle"], ready="ready",
                              env={"HAKMEM_PROFILE": p}) for p in PROFILES]
    rules = [os.path.abspath(os.path.join(SOURCE, "config", "prometheus", "rules", r)) for r in RULE_FILES]
    unchecked = recorded_in_files(rules) ^ set(RECORDED)
    if unchecked:
        harness.fail(f"recording rules and RECORDED differ: {sorted(unchecked)}")
    prom = harness.Prometheus(d.port, rules)
    pids = [w.pid for w in loads]
    try:
        def both_rated():
            r, _ = prom.query("count by (pid) (rate(hakmem_allocs_total[4s]))")
            return r and {s["metric"]["pid"] for s in r} >= {str(p) for p in pids}
        harness.wait_for(both_rated, "rates of both workloads", timeout=40, step=0.5)
        start = time.monotonic()
        while True:
            rows, bad = [], 0
            for file, module in DASHBOARDS.items():
                for panel, target in all_targets(module.ROWS):
                    problem, note = judge(prom, target.check, target.expr, pids)
                    bad += 1 if problem else 0
                    rows.append((module.UID, panel.title, target.legend, problem or "ok", note))
            for name, check in RECORDED.items():
                problem, note = judge(prom, check, name, pids)
                bad += 1 if problem else 0
                rows.append(("recording rule", name, "", problem or "ok", note))
            for name, expr in NEVER.items():
                result, err = prom.query(expr)
                problem = err if result is None else (f"{len(result)} series: {result}" if result else "")
                bad += 1 if problem else 0
                rows.append(("never", name, "", problem or "ok", "no series"))
            if bad == 0 or time.monotonic() - start > 60:
                break
            time.sleep(1)
        print(f"  after {time.monotonic() - start:.1f} s: {len(rows) - bad} of {len(rows)} queries pass")
        print("  | dashboard | panel | series | result | note |")
        for r in rows:
            print("  | " + " | ".join(r) + " |")
        if bad:
            tail = prom.log_tail()
            for g in (prom.api("rules") or {}).get("data", {}).get("groups", []):
                for rule in g["rules"]:
                    if rule.get("health") != "ok":
                        tail += f"rule {rule.get('name')}: {rule.get('health')} {rule.get('lastError')}\n"
            harness.fail(f"{bad} queries failed their panel's check (table above); prometheus log:\n{tail}")
    finally:
        prom.stop()
        for w in loads:
            w.kill()
        d.stop()


if __name__ == "__main__":
    harness.run([test_every_panel_query_returns_what_its_panel_shows])
