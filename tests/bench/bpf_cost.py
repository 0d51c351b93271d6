#!/usr/bin/env python3
"""What hakmemd's eBPF probes cost (README, hakmemd, "What the probes cost"): syscall_cost's
loops with no probes, with the probes attached and counting the loop (mode all), and with
them attached for another, tracked process while the loop is not traced (mode tracked:
the filter lookup, and the slow syscall entry every thread on the host takes while any
syscalls tracepoint has a program). Rounds interleave the three states; each figure is the
median of the rounds, ratios against no probes from the same run.

  tests/bench/bpf_cost.py --build-dir build/release [--rounds 7] [--quick]
Needs root (the probes). Prints a markdown table."""
import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        return r.read().decode()


def wait(pred, what, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise SystemExit(f"bpf_cost: timed out waiting for {what}")


class Daemon:
    def __init__(self, build, mode, segdir):
        self.dir = tempfile.mkdtemp(prefix="bpf-cost-")
        cfg = os.path.join(self.dir, "hakmemd.json")
        with open(cfg, "w") as f:
            json.dump({"listen": "127.0.0.1:0", "segment_dir": segdir, "ebpf": mode}, f)
        self.log = os.path.join(self.dir, "log")
        self.proc = subprocess.Popen([os.path.join(build, "daemon/hakmemd/hakmemd"), "--config", cfg],
                                     stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        self.port = int(wait(lambda: (re.findall(r"listening on [0-9.]+:(\d+)", open(self.log).read())
                                      or [None])[-1], "hakmemd to listen"))
        wait(lambda: re.search(r"^hakmemd_bpf_attached 1", scrape(self.port), re.M),
             f"the probes attached ({mode}); log: {open(self.log).read()}")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=10)


def loop(build, what, n):
    out = subprocess.run([os.path.join(build, "tests/bench/syscall_cost"), what, str(n)],
                         capture_output=True, text=True, check=True).stdout.split()
    return float(out[1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default="build/release")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="1 round of short loops (a smoke test)")
    a = ap.parse_args()
    build = os.path.abspath(a.build_dir)
    rounds = 1 if a.quick else a.rounds
    sizes = {"mmap": 2000 if a.quick else 200000, "getpid": 20000 if a.quick else 2000000,
             "read": 20000 if a.quick else 2000000}
    segdir = tempfile.mkdtemp(prefix="bpf-cost-seg-")
    os.chmod(segdir, 0o700)
    env = dict(os.environ, LD_PRELOAD=os.path.join(build, "src/libhakmem.so"), HAKMEM_STATS_DIR=segdir)
    # The tracked process: a preloaded sleeper with a segment.
    tracked = subprocess.Popen(["sleep", "3600"], env=env)
    results = {(s, w): [] for s in ("none", "all", "tracked") for w in sizes}
    try:
        for _ in range(rounds):
            for state in ("none", "all", "tracked"):
                d = Daemon(build, state, segdir) if state != "none" else None
                try:
                    for w, n in sizes.items():
                        results[(state, w)].append(loop(build, w, n))
                finally:
                    if d:
                        d.stop()
    finally:
        tracked.kill()
    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"| loop | no probes | mode all (loop traced) | ratio | mode tracked (loop not traced) | ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for w in sizes:
        base = med[("none", w)]
        print(f"| {w} | {base:.0f} ns | {med[('all', w)]:.0f} ns | {med[('all', w)] / base:.2f} | "
              f"{med[('tracked', w)]:.0f} ns | {med[('tracked', w)] / base:.2f} |")
    # Per round, the same round's loops against each other (the machine's noise moves whole
    # rounds): the median of the differences and their range.
    def diffs(state, w, per=1):
        return sorted((a - b) / per for a, b in zip(results[(state, w)], results[("none", w)]))
    traced = diffs("all", "mmap", 2)
    print(f"\nper traced call (mmap+munmap is two), all - none per round: median "
          f"{statistics.median(traced):.0f} ns (range {traced[0]:.0f} .. {traced[-1]:.0f}); "
          f"rounds: {rounds}")
    for w in ("getpid", "read"):
        for state in ("all", "tracked"):
            d = diffs(state, w)
            print(f"{w} with probes attached ({state}): +{statistics.median(d):.0f} ns per call "
                  f"(range {d[0]:.0f} .. {d[-1]:.0f})")


if __name__ == "__main__":
    sys.exit(main())
