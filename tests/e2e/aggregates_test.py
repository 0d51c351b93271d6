"""hakmemd's per-comm aggregates ("export": "both"; daemon/hakmemd/aggregates.h). Processes of
two comms (lifecycle_workload through two symlinks) start, fork, exit and are SIGKILLed while
a scraper reads /metrics every second, as Prometheus would: every hakmem_comm_*_total counter
must never decrease from one scrape to the next. At the end, once every process is gone, the
totals of the comm whose processes all exit normally must equal the sum of their exit
summaries (HAKMEM_STATS_PRINT: parents and forked children alike, each counting its own
operations), class by class; and each comm must count its processes exited."""
import os
import re
import signal
import subprocess
import threading
import time

import harness

ROUNDS = 6
BLOCKS = 20000


class Scraper(threading.Thread):
    """Scrapes every second; keeps the last values and every decrease of a counter."""

    def __init__(self, daemon):
        super().__init__(daemon=True)
        self.d = daemon
        self.stop = threading.Event()
        self.last = {}
        self.decreases = []
        self.scrapes = 0

    def run(self):
        while not self.stop.is_set():
            samples = self.d.scrape()
            now = {}
            for name, labels, value in samples.samples:
                if name.startswith("hakmem_comm_") and name.endswith("_total"):
                    key = (name, tuple(sorted(labels.items())))
                    now[key] = value
                    if key in self.last and value < self.last[key]:
                        self.decreases.append((key, self.last[key], value))
            self.last.update(now)
            self.scrapes += 1
            self.stop.wait(1.0)


def summaries(path):
    """Per class: (allocs, frees); the large allocations; and each process's allocations,
    from the exit summaries."""
    classes, large, processes = {}, 0, {}
    with open(path) as f:
        for line in f:
            m = re.match(r"hakmem\[(\d+)\] summary: allocs=(\d+) .* large_allocs=(\d+) ", line)
            if m:
                processes[m.group(1)] = int(m.group(2))
                large += int(m.group(3))
            m = re.match(r"hakmem\[\d+\] class index=(\d+) size=\d+ allocs=(\d+) frees=(\d+) ", line)
            if m:
                a, fr = classes.get(m.group(1), (0, 0))
                classes[m.group(1)] = (a + int(m.group(2)), fr + int(m.group(3)))
    return classes, large, processes


def test_aggregates_monotonic_and_equal_to_the_exit_summaries():
    seg = harness.segment_dir()
    d = harness.Daemon(seg, export="both")
    bindir = harness.temp_dir("hakmem-agg-bin-")
    for comm in ("aggexit", "aggkill"):
        os.symlink(harness.ARGS["lifecycle"], os.path.join(bindir, comm))
    printed = os.path.join(harness.temp_dir("hakmem-agg-out-"), "summaries")
    env = dict(os.environ, HAKMEM_STATS_DIR=seg, LD_PRELOAD=harness.ARGS["preload"])
    # The daemon watches its directory once it listens: a first scrape, and a moment.
    d.scrape()
    time.sleep(0.5)
    scraper = Scraper(d)
    scraper.start()
    exiting = 0
    try:
        for r in range(ROUNDS):
            procs = [harness.started(subprocess.Popen([os.path.join(bindir, "aggexit"), str(BLOCKS), mode],
                                                      env=dict(env, HAKMEM_STATS_PRINT=printed)))
                     for mode in ("exit", "fork", "exit")]
            exiting += 4   # three processes and the forked child
            k = harness.started(subprocess.Popen([os.path.join(bindir, "aggkill"), str(BLOCKS), "hang"],
                                                 env=env, stdout=subprocess.PIPE, text=True))
            if k.stdout.readline().strip() != "ready":
                harness.fail("aggkill did not start")
            time.sleep(0.4 + 0.3 * r)   # some die between scrapes, some after one
            k.send_signal(signal.SIGKILL)
            k.wait()
            for p in procs:
                if p.wait(timeout=30) != 0:
                    harness.fail(f"aggexit {p.pid} exited {p.returncode}")

        def settled():
            v = scraper.last
            done = v.get(("hakmem_comm_processes_exited_total", (("comm", "aggexit"),)), 0) == exiting and \
                v.get(("hakmem_comm_processes_exited_total", (("comm", "aggkill"),)), 0) == ROUNDS
            return done
        try:
            harness.wait_for(settled, "every process folded into its comm's totals", timeout=20, step=0.5)
        except AssertionError:
            seen = {k: v for k, v in scraper.last.items() if k[0] in ("hakmem_comm_processes_exited_total", "hakmem_comm_processes")}
            harness.fail(f"not every process was folded: expected {exiting} aggexit and {ROUNDS} aggkill exits, have {seen}")
        time.sleep(1.5)   # one more scrape after the last fold
    finally:
        scraper.stop.set()
        scraper.join()
    print(f"  {scraper.scrapes} scrapes, {exiting} aggexit processes (forked children included), {ROUNDS} killed")
    if scraper.decreases:
        harness.fail(f"counters went down: {scraper.decreases[:5]}")
    classes, large, processes = summaries(printed)
    if len(processes) != exiting:
        harness.fail(f"{len(processes)} exit summaries for {exiting} processes")
    # Each process counts its own operations: a forked child that also counted its parent's
    # would show twice the work (the sums below would then count it twice on both sides).
    doubled = {pid: n for pid, n in processes.items() if n > BLOCKS + 500}
    if doubled:
        harness.fail(f"processes counting more than their own {BLOCKS} allocations: {doubled}")
    got = scraper.last
    checked = 0
    for cls, (allocs, frees) in sorted(classes.items(), key=lambda kv: int(kv[0])):
        for family, want in (("hakmem_comm_allocs_total", allocs), ("hakmem_comm_frees_total", frees)):
            have = [v for (name, labels), v in got.items()
                    if name == family and dict(labels).get("comm") == "aggexit" and dict(labels).get("class") == cls]
            if len(have) != 1 or have[0] != want:
                harness.fail(f"{family} of class {cls}: {have}, the exit summaries sum to {want}")
            checked += 1
    have = got.get(("hakmem_comm_large_allocs_total", (("comm", "aggexit"),)))
    if have != large:
        harness.fail(f"hakmem_comm_large_allocs_total: {have}, the exit summaries sum to {large}")
    print(f"  aggexit: {checked} class counters and the large allocations equal the {len(processes)} exit summaries")


if __name__ == "__main__":
    harness.run([test_aggregates_monotonic_and_equal_to_the_exit_summaries])
