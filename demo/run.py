"""The main job (README, "The two commands"): HAKMEM at work on live programs. It starts
hakmemd (eBPF when it may) and Debian's Prometheus on loopback with the shipped rules, runs
Larson and python3 (an SQLite workload) under two profiles side by side, shows a progress line,
then the `hakmemctl compare` view of the two Larson runs, the Prometheus URL with queries worth
pasting, how to point Grafana at it, and a PNG of the key panels drawn from Prometheus's data.
It stops everything on Ctrl-C (or SIGTERM) or after --duration seconds, and leaves nothing
running or behind but the PNG.

usage: run.py [--duration S] [--build-dir DIR] [--out DIR] [--profiles A,B] [--prometheus-port P]"""
import argparse
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import chart  # noqa: E402
from stack import Hakmemd, Prometheus, Stack, free_port, wait_until  # noqa: E402
from workloads import start_all  # noqa: E402

QUERIES = (
    ("allocations per second, per process",
     "sum by (comm, pid) (rate(hakmem_allocs_total[30s]))"),
    ("which refill paths feed each process, by its profile",
     "hakmem:refill_path_share_all_classes:rate5m * on (instance, pid) group_left (value) "
     'hakmem_config_info{key="HAKMEM_PROFILE"}'),
    ("share of the allocator's resident memory holding no live block",
     "hakmem:fragmentation_ratio"),
)


class Interrupt:
    """The first SIGINT or SIGTERM ends the run early (the report is still made from what
    Prometheus has); a second one stops at once."""

    def __init__(self):
        self.requested = False
        signal.signal(signal.SIGINT, self._on)
        signal.signal(signal.SIGTERM, self._on)

    def _on(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True


def rate_text(v):
    for unit, div in (("M", 1e6), ("k", 1e3)):
        if v >= div:
            return f"{v / div:.1f}{unit}"
    return f"{v:.0f}"


def progress(prom, workloads, elapsed, duration, tty):
    result, _ = prom.query("sum by (pid) (rate(hakmem_allocs_total[5s]))")
    by_pid = {s["metric"]["pid"]: float(s["value"][1]) for s in result or []}
    parts = [f"{w.name} {rate_text(by_pid[str(w.pid)])}/s" if str(w.pid) in by_pid else f"{w.name} -"
             for w in workloads]
    line = f"[{elapsed:4.0f}/{duration:.0f} s] allocations: " + " | ".join(parts)
    if tty:
        sys.stdout.write("\r\033[K" + line)
    else:
        sys.stdout.write(line + "\n")
    sys.stdout.flush()


def bpf_state(d):
    """hakmemd's eBPF state as its /metrics says: ('up', '') or ('down', reason)."""
    import urllib.request
    try:
        with urllib.request.urlopen(d.url, timeout=5) as r:
            text = r.read().decode()
    except OSError as e:
        return "unknown", str(e)
    for line in text.splitlines():
        if line.startswith("hakmem_bpf_up{"):
            reason = line.split('reason="', 1)[1].split('"', 1)[0] if 'reason="' in line else "?"
            return ("up", "") if line.rstrip().endswith(" 1") else ("down", reason)
    return "unknown", "no hakmem_bpf_up"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=120, help="seconds the workloads run (default 120)")
    ap.add_argument("--build-dir", default=os.path.join(SOURCE, "build", "release"))
    ap.add_argument("--out", default=os.path.join(SOURCE, "build", "demo"), help="where the PNG goes")
    ap.add_argument("--profiles", default="balanced,low-memory", help="the two HAKMEM_PROFILE values")
    ap.add_argument("--prometheus-port", type=int, default=9090, help="tried first; else a free port")
    args = ap.parse_args()
    profiles = args.profiles.split(",")
    if len(profiles) != 2 or not all(profiles):
        ap.error("--profiles takes two profile names, e.g. balanced,low-memory")
    if args.duration < 10:
        ap.error("--duration: at least 10 seconds, for Prometheus to have rates to show")
    build = os.path.abspath(args.build_dir)
    tools = {name: os.path.join(build, "daemon", sub, name) for name, sub in (("hakmemd", "hakmemd"), ("hakmemctl", "ctl"))}
    for path in tools.values():
        if not os.path.exists(path):
            sys.exit(f"demo: {path} is missing: build the release preset first (scripts/demo.sh does)")
    os.makedirs(args.out, exist_ok=True)
    png = os.path.join(os.path.abspath(args.out), "hakmem-demo.png")
    tty = sys.stdout.isatty()
    stop = Interrupt()
    stack = Stack()
    try:
        d = stack.add(Hakmemd(tools["hakmemd"], stack.dir, stack.segments))
        rules = [os.path.join(SOURCE, "config", "prometheus", "rules", r)
                 for r in ("hakmem-recording.yml", "hakmem-alerts.yml")]
        prom = stack.add(Prometheus(stack.path("prometheus"), d.port, rules, port=free_port(args.prometheus_port)))
        wait_until(prom.ready, "Prometheus to be ready", 60, alive=lambda: prom.proc.poll() is None)
        state, reason = bpf_state(d)
        print(f"work directory {stack.dir} (segments, configs, Prometheus's data: removed at the end)")
        print(f"hakmemd   {d.url}   eBPF probes: {state}{' (' + reason + ')' if reason else ''}")
        print(f"Prometheus {prom.url}   scraping hakmemd every second, with config/prometheus/rules")
        print(f"workloads: larson and python3 (SQLite), each under HAKMEM_PROFILE={profiles[0]} and {profiles[1]}, "
              f"for {args.duration:.0f} s (Ctrl-C ends early)")
        workloads = start_all(stack, build, profiles, args.duration)
        print("pids: " + ", ".join(f"{w.name} {w.pid}" for w in workloads))
        print(f"\nWhile it runs, paste these at {prom.url}/graph:")
        for what, q in QUERIES:
            print(f"  # {what}\n  {q}")
        print()
        start = time.time()
        next_line = 0.0
        while not stop.requested:
            elapsed = time.time() - start
            if elapsed >= args.duration:
                break
            for w in workloads:
                if w.proc.poll() is not None:
                    raise RuntimeError(f"{w.name} exited early (status {w.proc.returncode}); its log: {w.log_path}")
            if tty or elapsed >= next_line:
                progress(prom, workloads, elapsed, args.duration, tty)
                next_line += 10
            time.sleep(1)
        end = time.time()
        if tty:
            print()
        if stop.requested:
            print(f"interrupted after {end - start:.0f} s: reporting what Prometheus has, then stopping")
        time.sleep(1.5)   # one more scrape of the final counts

        a, b = (w for w in workloads if w.kind == "larson")
        print(f"\n$ hakmemctl compare {a.pid} {b.pid}      (A: {a.name}, B: {b.name})")
        r = subprocess.run([tools["hakmemctl"], "compare", str(a.pid), str(b.pid), "--dir", stack.segments],
                           capture_output=True, text=True)
        sys.stdout.write(r.stdout if r.returncode == 0 else f"(hakmemctl compare failed: {r.stderr.strip()})\n")

        note = chart.draw(prom, workloads, start, time.time(), png, stack.dir)
        print(f"\nThe key panels, drawn from Prometheus's data: {png}" + (f"  ({note})" if note else ""))
        print("Prometheus stops with the demo: --duration 3600 keeps it (and the queries above) up while you look.")
        print("\nGrafana: copy config/grafana/provisioning/* to /etc/grafana/provisioning/, set the datasource url "
              f"there to {prom.url}\n  and the dashboards path to {os.path.join(SOURCE, 'dashboards')}, restart Grafana: "
              "HAKMEM / process, / compare and / host appear with no clicks.")
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted: stopping")
        return 130
    except RuntimeError as e:
        print(f"\ndemo: {e}", file=sys.stderr)
        return 1
    finally:
        stack.close()
        print("stopped: hakmemd, Prometheus and the workloads; the work directory is removed")


if __name__ == "__main__":
    sys.exit(main())
