"""Exact counts of an idle process, for every reader: idle_workload makes a known mix of
allocations and frees across threads and size classes (threads that exited, one asleep), then
sleeps. `hakmemctl stat --json`, its text table and hakmemd's /metrics must each show exactly
what it made; the same once the process is stopped (SIGSTOP), read without hanging and marked
as stopped. Each check polls for up to 10 s and prints how long exactness took; no time is
asserted."""
import json
import os
import signal
import subprocess
import time

from harness import ARGS, Daemon, Workload, fail, run, segment_dir


# A profile and one of its variables overridden: exactness does not depend on the settings, and
# /metrics shows each value with its source.
PROFILE_ENV = {"HAKMEM_PROFILE": "low-latency", "HAKMEM_TCACHE_CAP": "64"}


def start(seg):
    w = Workload(seg, [ARGS["idle"]], env=PROFILE_ENV)
    expected = {}
    while True:
        line = w.proc.stdout.readline().split()
        if line == ["idle"]:
            return w, expected
        if len(line) != 4 or line[0] != "expect":
            fail(f"idle_workload: unexpected line {line!r}")
        expected[int(line[1])] = (int(line[2]), int(line[3]))


def class_size(classes, size):
    """The block size of the class `size` falls in: the smallest class size >= it."""
    return min(c for c in classes if c >= size)


def ctl_json(seg, pid):
    r = subprocess.run([ARGS["hakmemctl"], "stat", str(pid), "--dir", seg, "--json"],
                       capture_output=True, text=True, timeout=10)
    if r.returncode != 0:
        fail(f"hakmemctl stat --json: exit {r.returncode}: {r.stderr.strip()}")
    return json.loads(r.stdout)


def ctl_text(seg, pid):
    r = subprocess.run([ARGS["hakmemctl"], "stat", str(pid), "--dir", seg],
                       capture_output=True, text=True, timeout=10)
    if r.returncode != 0:
        fail(f"hakmemctl stat: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def mismatches_json(j, expected):
    sizes = {c["size"]: c for c in j["classes"]}
    out = []
    for size, (allocs, frees) in expected.items():
        c = sizes[class_size(sizes, size)]
        if (c["allocs"], c["frees"]) != (allocs, frees):
            out.append(f"{size} B: allocs {c['allocs']} frees {c['frees']}, made {allocs} {frees}")
    return out


def mismatches_text(text, expected, sizes):
    rows = {}
    section = False
    for line in text.splitlines():
        if line.startswith("classes with activity"):
            section = True
            continue
        if section and not line.startswith("  "):
            break
        f = line.split()
        if section and len(f) >= 4 and f[0].isdigit():
            rows[int(f[1])] = (int(f[2]), int(f[3]))
    out = []
    for size, want in expected.items():
        got = rows.get(class_size(sizes, size))
        if got != want:
            out.append(f"{size} B: text row {got}, made {want}")
    return out


def mismatches_metrics(daemon, pid, expected, sizes):
    s = daemon.scrape()
    out = []
    for size, (allocs, frees) in expected.items():
        cs = class_size(sizes, size)
        got = []
        for name in ("hakmem_allocs_total", "hakmem_frees_total"):
            found = s.find(name, pid=pid, size=cs)
            got.append(int(found[0][1]) if len(found) == 1 else None)
        if tuple(got) != (allocs, frees):
            out.append(f"{size} B: /metrics {tuple(got)}, made {(allocs, frees)}")
    return out, s


def until_exact(what, probe):
    """Polls probe() (a list of mismatches) for up to 10 s; reports how long it took."""
    start = time.monotonic()
    while True:
        bad = probe()
        if not bad:
            print(f"  {what}: exact after {time.monotonic() - start:.3f} s", flush=True)
            return
        if time.monotonic() - start > 10:
            fail(f"{what}: not exact after 10 s: {'; '.join(bad)}")
        time.sleep(0.05)


def proc_state(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def test_idle_and_stopped_process_read_exactly():
    seg = segment_dir()
    d = Daemon(seg)
    w, expected = start(seg)
    try:
        sizes = {c["size"] for c in ctl_json(seg, w.pid)["classes"]}
        if len({class_size(sizes, s) for s in expected}) != len(expected):
            fail("the workload's sizes share a class")
        until_exact("hakmemctl stat --json", lambda: mismatches_json(ctl_json(seg, w.pid), expected))
        until_exact("hakmemctl stat", lambda: mismatches_text(ctl_text(seg, w.pid), expected, sizes))
        until_exact("hakmemd /metrics", lambda: mismatches_metrics(d, w.pid, expected, sizes)[0])
        j = ctl_json(seg, w.pid)
        if j["process_stopped"] or not j["live_caches"]:
            fail(f"running process: process_stopped {j['process_stopped']}, live_caches {j['live_caches']}")
        s = d.scrape()
        if s.value("hakmem_process_stopped", pid=w.pid) != 0:
            fail("hakmem_process_stopped is not 0 for a running process")
        # Every setting with its source: the environment's, the profile's, the defaults.
        for key, value, source in (("HAKMEM_STATS_DIR", seg, "env"), ("HAKMEM_PROFILE", "low-latency", "env"),
                                   ("HAKMEM_TCACHE_CAP", "64", "env"), ("HAKMEM_DECAY_MS", "5000", "profile"),
                                   ("HAKMEM_POOL_STASH", "8", "profile"), ("HAKMEM_ADOPT", "1", "default")):
            if s.value("hakmem_config_info", pid=w.pid, key=key, value=value, source=source) != 1:
                fail(f"hakmem_config_info{{key={key}}} is not value={value} source={source}")

        os.kill(w.pid, signal.SIGSTOP)
        deadline = time.monotonic() + 10
        while proc_state(w.pid) != "T":
            if time.monotonic() > deadline:
                fail(f"the process did not stop: state {proc_state(w.pid)}")
            time.sleep(0.01)
        t = time.monotonic()
        until_exact("stopped, hakmemctl stat --json",
                    lambda: mismatches_json(ctl_json(seg, w.pid), expected))
        print(f"  stopped: each read returned at once ({time.monotonic() - t:.3f} s for the check)")
        if not ctl_json(seg, w.pid)["process_stopped"]:
            fail("hakmemctl stat --json does not mark the stopped process")
        if "stopped (a signal or a debugger)" not in ctl_text(seg, w.pid):
            fail("hakmemctl stat does not say the process is stopped")
        until_exact("stopped, hakmemd /metrics", lambda: mismatches_metrics(d, w.pid, expected, sizes)[0])
        if d.scrape().value("hakmem_process_stopped", pid=w.pid) != 1:
            fail("hakmem_process_stopped is not 1 for a stopped process")
        os.kill(w.pid, signal.SIGCONT)
        until_exact("continued, hakmem_process_stopped back to 0",
                    lambda: [] if d.scrape().value("hakmem_process_stopped", pid=w.pid) == 0 else ["still 1"])
    finally:
        os.kill(w.pid, signal.SIGCONT)
        w.proc.stdin.write("\n")
        w.proc.stdin.flush()
        w.finish()
        d.stop()
    if w.proc.returncode != 0:
        fail(f"idle_workload exited with {w.proc.returncode}")


if __name__ == "__main__":
    run([test_idle_and_stopped_process_read_exactly])
