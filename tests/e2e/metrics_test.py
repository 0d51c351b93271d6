"""hakmemd end to end: real preloaded workloads publish segments, a real hakmemd serves them,
the tests scrape /metrics over HTTP. Every golden family is served; a class that only
exact_workload's worker uses (10240-byte blocks) shows exactly N allocations, frees and remote
frees; promtool accepts the exposition; a SIGKILLed workload vanishes from the next scrape;
comm filters and max_processes hold."""
import os
import signal
import subprocess

import harness
from harness import ARGS, fail

N = 1000
EXACT_SIZE = "10240"


def golden():
    with open(ARGS["golden"]) as f:
        return dict(line.split() for line in f if line.strip() and not line.startswith("#"))


def test_families_and_exact_values():
    seg = harness.segment_dir()
    d = harness.Daemon(seg, export="both")   # per process and per comm: every golden family
    w = harness.exact(seg, N)
    s = harness.steady(seg, classes=10)
    try:
        w.advance("allocated")
        w.advance("alive")
        scrape = harness.wait_for(
            lambda: (lambda x: x if str(w.pid) in x.pids() else None)(d.scrape()),
            "the workload's series")
        for phase in ("alive", "exited"):
            if phase == "exited":
                w.advance("exited")
                scrape = d.scrape()
            for name in ("hakmem_allocs_total", "hakmem_frees_total", "hakmem_remote_frees_total"):
                v = scrape.value(name, pid=w.pid, size=EXACT_SIZE)
                if v != N:
                    fail(f"{phase}: {name}{{size={EXACT_SIZE}}} = {v}, expected {N}")
            got = sum(v for _, v in scrape.find("hakmem_refill_objects_total", pid=w.pid, size=EXACT_SIZE))
            if got < N:
                fail(f"{phase}: objects refilled for class {EXACT_SIZE} ({got}) < allocations ({N})")
        # Every golden family, with its type; each hakmem_* family has series for the process.
        want = golden()
        for name, typ in want.items():
            if scrape.types.get(name) != typ:
                fail(f"family {name}: type {scrape.types.get(name)}, expected {typ}")
        extra = {n for n in scrape.types if n not in want}
        if extra:
            fail(f"families not in golden_families.txt: {sorted(extra)}")
        # The eBPF families are per pid only for the calls a process made (bpf_test.py checks
        # them exactly); hakmem_bpf_up has no pid.
        for name in want:
            if name.startswith(("hakmem_bpf_", "hakmem_comm_")):
                continue
            if name.startswith("hakmem_") and not scrape.find(name, pid=w.pid):
                fail(f"no {name} series for pid {w.pid}")
        info = scrape.find("hakmem_process_info", pid=w.pid)
        if len(info) != 1 or info[0][0]["comm"] != "exact_workload":
            fail(f"hakmem_process_info: {info}")
        keys = {l["key"] for l, _ in scrape.find("hakmem_config_info", pid=w.pid)}
        if not keys or not all(k.startswith("HAKMEM_") for k in keys):
            fail(f"hakmem_config_info keys: {keys}")
        # Series only for classes the process used: steady_workload used exactly 10.
        classes = {l["class"] for l, _ in scrape.find("hakmem_allocs_total", pid=s.pid)}
        if not 10 <= len(classes) < 40:
            fail(f"steady_workload (10 classes) has series for {len(classes)} classes")
        for l, _ in scrape.find("hakmem_refills_total", pid=w.pid):
            if set(l) != {"pid", "comm", "class", "size", "path"}:
                fail(f"hakmem_refills_total labels: {sorted(l)}")
        if scrape.value("hakmemd_segments", state="live") != 2:
            fail("hakmemd_segments{state=live} is not 2")
        if scrape.value("hakmemd_build_info") != 1:
            fail("hakmemd_build_info")
        if scrape.value("hakmemd_scrape_duration_seconds_count") < 1:
            fail("scrape duration histogram empty")
    finally:
        w.finish()
        s.kill()
        d.stop()


def test_inotify_discovery_and_sigint():
    """With rescans an hour apart, only inotify can show a new segment and a removed one."""
    seg = harness.segment_dir()
    d = harness.Daemon(seg, rescan_interval_seconds=3600)
    try:
        d.scrape()
        w = harness.steady(seg, classes=2)
        harness.wait_for(lambda: str(w.pid) in d.scrape().pids(), "inotify to see the segment",
                         timeout=5)
        w.kill()
        os.unlink(w.segment)
        harness.wait_for(lambda: d.scrape().value("hakmemd_segments", state="stale") == 0 and
                         sum(v for _, v in d.scrape().find("hakmemd_segments")) == 0,
                         "inotify to see the removal", timeout=5)
        d.proc.send_signal(signal.SIGINT)
        if d.proc.wait(timeout=10) != 0:
            fail(f"SIGINT: exit {d.proc.returncode}")
        if "received SIGINT, stopping" not in d.log_text():
            fail("SIGINT not logged")
    finally:
        d.stop()


def test_promtool():
    seg = harness.segment_dir()
    d = harness.Daemon(seg)
    ws = [harness.steady(seg, classes=12), harness.exact(seg, 10)]
    try:
        harness.wait_for(lambda: len(d.scrape().pids()) == 2, "both workloads")
        text = d.scrape_text()
        r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=60)
        if r.returncode != 0 or r.stdout.strip() or r.stderr.strip():
            fail(f"promtool check metrics: rc {r.returncode}\n{r.stdout}{r.stderr}")
    finally:
        for w in ws:
            w.kill()
        d.stop()


def test_sigkill_vanishes_and_cleanup():
    seg = harness.segment_dir()
    d = harness.Daemon(seg, stale_cleanup=True)
    w = harness.steady(seg, classes=3)
    keep = harness.steady(seg, classes=3)
    try:
        harness.wait_for(lambda: str(w.pid) in d.scrape().pids(), "the workload")
        w.kill()
        if not os.path.exists(w.segment):
            fail("a SIGKILLed process should leave its segment behind (test premise)")
        s = d.scrape()
        if str(w.pid) in s.pids():
            fail("the SIGKILLed workload's series are still served")
        if str(keep.pid) not in s.pids():
            fail("the other workload vanished too")
        harness.wait_for(lambda: not os.path.exists(w.segment), "stale cleanup", timeout=5)
        s = d.scrape()
        if s.value("hakmemd_stale_segments_removed_total") < 1:
            fail("stale removal not counted")
        if "removed stale segment" not in d.log_text():
            fail("stale removal not logged")
    finally:
        keep.kill()
        d.stop()


def test_cleanup_off_keeps_file():
    seg = harness.segment_dir()
    d = harness.Daemon(seg, stale_cleanup=False)
    w = harness.steady(seg, classes=2)
    try:
        harness.wait_for(lambda: str(w.pid) in d.scrape().pids(), "the workload")
        w.kill()
        s = d.scrape()
        if str(w.pid) in s.pids() or s.value("hakmemd_segments", state="stale") != 1:
            fail("a dead process must be stale and unexported")
        harness.time.sleep(2.5)  # two rescans
        if not os.path.exists(w.segment):
            fail("stale_cleanup=false removed the segment")
    finally:
        d.stop()


def test_comm_filter_and_max_processes():
    seg = harness.segment_dir()
    d = harness.Daemon(seg, comm_filter=["exact_*"])
    a = harness.steady(seg, classes=2)
    b = harness.exact(seg, 10)
    try:
        harness.wait_for(lambda: str(b.pid) in d.scrape().pids(), "the exact workload")
        s = d.scrape()
        if str(a.pid) in s.pids():
            fail("comm_filter let steady_workload through")
        if s.value("hakmemd_segments", state="filtered") != 1:
            fail("filtered segment not counted")
        known = d.reload(dict(d.config, comm_filter=[], max_processes=1))
        harness.wait_for(lambda: "config reloaded" in d.log_text(), "the reload")
        s = d.scrape()
        if len(s.pids()) != 1 or s.value("hakmemd_segments", state="over_limit") != 1:
            fail(f"max_processes=1: exported {s.pids()}")
    finally:
        a.kill()
        b.kill()
        d.stop()


if __name__ == "__main__":
    harness.run([test_families_and_exact_values, test_inotify_discovery_and_sigint, test_promtool, test_sigkill_vanishes_and_cleanup,
                 test_cleanup_off_keeps_file, test_comm_filter_and_max_processes])
