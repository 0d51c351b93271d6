"""hakmemd's eBPF probes end to end, on the real kernel, as root: CI runs as root, so a probe
that cannot load there is a failure, never a skip. Every test that expects the probes first
checks hakmem_bpf_up 1 and that this daemon holds our ten programs, attached through ten
links (its own file descriptors, looked up with bpftool), so a probe that silently failed
cannot pass.

memsys_workload (not preloaded) makes an exact set of calls between two pauses; the tests
compare the change of each series across that window with what it did."""
import json
import os
import re
import signal
import subprocess
import time

import harness
from harness import ARGS, fail

N = 50
PAGE = os.sysconf("SC_PAGESIZE")
BRK_STEP = 64 * 1024
SYSCALLS = ("mmap", "munmap", "mremap", "madvise", "brk")
PROGRAMS = {f"{side}_{s}" for side in ("enter", "exit") for s in SYSCALLS}

# What memsys_workload does between "ready" and "done" (see memsys_workload.cc).
EXPECTED_CALLS = {"mmap": N + 1, "madvise": 3 * N + 1, "mremap": 2 * N + 1, "munmap": N + 1,
                  "brk": 2 * N + 2}
EXPECTED_ERRORS = {("mmap", "EBADF"): 1, ("munmap", "EINVAL"): 1, ("mremap", "EINVAL"): 1,
                   ("madvise", "EINVAL"): 1, ("brk", "ENOMEM"): 1}
EXPECTED_BYTES = {("mmap", "grow"): N * 3 * PAGE, ("munmap", "shrink"): N * 4 * PAGE,
                  ("mremap", "grow"): N * 2 * PAGE, ("mremap", "shrink"): N * PAGE,
                  ("madvise", "none"): N * 6 * PAGE,
                  ("brk", "grow"): N * BRK_STEP, ("brk", "shrink"): N * BRK_STEP}
EXPECTED_ADVICE = {"dontneed": N * PAGE, "willneed": N * 2 * PAGE, "other": N * 3 * PAGE,
                   "free": 0, "hugepage": 0, "nohugepage": 0}


def bpftool(*args):
    r = subprocess.run(["bpftool", "-j", *args], capture_output=True, text=True)
    return json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else None


def bpf_objects(pid):
    """The BPF programs, links and stats descriptor the process `pid` holds."""
    progs, links, stats = set(), set(), False
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                info = f.read()
        except OSError:
            continue
        if target == "anon_inode:bpf-prog":
            progs.add(int(re.search(r"prog_id:\s*(\d+)", info).group(1)))
        elif target == "anon_inode:bpf_link":
            links.add(int(re.search(r"link_id:\s*(\d+)", info).group(1)))
        elif target == "anon_inode:bpf-stats":
            stats = True
    return progs, links, stats


def up(d, mode):
    """Asserts the probes are up in `mode` and attached; returns (program ids, link ids)."""
    got = d.scrape().find("hakmem_bpf_up")
    if got != [({"mode": mode, "reason": "ok"}, 1.0)]:
        fail(f"hakmem_bpf_up: {got}; log:\n{d.log_text()}")
    progs, links, stats = harness.wait_for(
        lambda: (lambda o: o if len(o[1]) == len(PROGRAMS) else None)(bpf_objects(d.proc.pid)),
        "the programs to be attached")
    harness.wait_for(lambda: d.scrape().value("hakmemd_bpf_attached") == 1,
                     "hakmemd_bpf_attached 1 once the links exist")
    names = {}
    for pid in progs:
        info = bpftool("prog", "show", "id", str(pid))
        if not info or info.get("type") != "tracepoint":
            fail(f"program {pid}: {info}")
        names[info["name"]] = pid
    if set(names) != PROGRAMS:
        fail(f"hakmemd holds programs {sorted(names)}, expected {sorted(PROGRAMS)}")
    attached = set()
    for lid in links:
        info = bpftool("link", "show", "id", str(lid))
        if not info:
            fail(f"link {lid} not shown by bpftool")
        attached.add(info["prog_id"])
    if attached != progs:
        fail(f"links attach programs {sorted(attached)}, expected all of {sorted(progs)}")
    if not stats:
        fail("hakmemd holds no BPF_ENABLE_STATS descriptor")
    return progs, links


def series(scrape, pid):
    """The process's hakmem_bpf_* values, keyed for comparison."""
    out = {}
    for l, v in scrape.find("hakmem_bpf_syscalls_total", pid=pid):
        out[("calls", l["syscall"])] = v
    for l, v in scrape.find("hakmem_bpf_syscall_errors_total", pid=pid):
        out[("errors", l["syscall"], l["errno"])] = v
    for l, v in scrape.find("hakmem_bpf_syscall_bytes_total", pid=pid):
        out[("bytes", l["syscall"], l["direction"])] = v
    for l, v in scrape.find("hakmem_bpf_madvise_bytes_total", pid=pid):
        out[("advice", l["advice"])] = v
    for l, v in scrape.find("hakmem_bpf_syscall_duration_seconds_count", pid=pid):
        out[("histogram", l["syscall"])] = v
    return out


def delta(before, after, key):
    return after.get(key, 0) - before.get(key, 0)


def check_exact(before, after, what):
    for s, n in EXPECTED_CALLS.items():
        if delta(before, after, ("calls", s)) != n:
            fail(f"{what}: {s} calls +{delta(before, after, ('calls', s))}, expected +{n}")
        if delta(before, after, ("histogram", s)) != n:
            fail(f"{what}: {s} histogram count +{delta(before, after, ('histogram', s))}, "
                 f"expected +{n} (= calls)")
    for (s, e), n in EXPECTED_ERRORS.items():
        if delta(before, after, ("errors", s, e)) != n:
            fail(f"{what}: {s} errors {e} +{delta(before, after, ('errors', s, e))}, expected +{n}")
    for (s, dirn), n in EXPECTED_BYTES.items():
        if delta(before, after, ("bytes", s, dirn)) != n:
            fail(f"{what}: {s} bytes {dirn} +{delta(before, after, ('bytes', s, dirn))}, "
                 f"expected +{n}")
    for a, n in EXPECTED_ADVICE.items():
        if delta(before, after, ("advice", a)) != n:
            fail(f"{what}: madvise {a} bytes +{delta(before, after, ('advice', a))}, expected +{n}")


def memsys(seg):
    return harness.Workload(seg, [ARGS["memsys"], str(N)], ready="ready", preload=False)


def test_exact_counts_in_all_mode():
    seg = harness.segment_dir()
    d = harness.Daemon(seg, ebpf="all")
    w = memsys(seg)
    try:
        up(d, "all")
        before = series(d.scrape(), w.pid)
        w.advance("done")
        after = series(d.scrape(), w.pid)
        check_exact(before, after, "all mode")
        comm = {l["comm"] for l, _ in d.scrape().find("hakmem_bpf_syscalls_total", pid=w.pid)}
        if comm != {"memsys_workload"}:
            fail(f"comm labels {comm}")
    finally:
        w.finish()
        d.stop()


def map_keys(d, name):
    """The first u32 of every key of the daemon's map `name` (the tgid, in tracked and
    counts). The daemon's own map, by the ids of its descriptors: other processes may hold
    maps of the same name."""
    ids = []
    for fd in os.listdir(f"/proc/{d.proc.pid}/fd"):
        try:
            if os.readlink(f"/proc/{d.proc.pid}/fd/{fd}") != "anon_inode:bpf-map":
                continue
            with open(f"/proc/{d.proc.pid}/fdinfo/{fd}") as f:
                ids.append(int(re.search(r"map_id:\s*(\d+)", f.read()).group(1)))
        except OSError:
            continue
    mine = [i for i in ids if (bpftool("map", "show", "id", str(i)) or {}).get("name") == name]
    if len(mine) != 1:
        fail(f"hakmemd holds {len(mine)} maps named {name}")
    out = set()
    for e in bpftool("map", "dump", "id", str(mine[0])) or []:
        formatted = e.get("formatted")
        if formatted is not None:
            k = formatted["key"]
            out.add(k if isinstance(k, int) else k.get("tgid"))
        else:
            out.add(int.from_bytes(bytes(int(b, 16) for b in e["key"][:4]), "little"))
    return out


def test_tracked_mode_counts_only_tracked_then_sighup_to_all():
    seg = harness.segment_dir()
    d = harness.Daemon(seg)  # the default mode: tracked
    tracked = harness.Workload(seg, [ARGS["memsys"], str(N)], ready="ready")  # preloaded
    untracked = memsys(seg)
    try:
        up(d, "tracked")
        harness.wait_for(lambda: tracked.pid in map_keys(d, "tracked"), "the preloaded process "
                         "in the filter map")
        if untracked.pid in map_keys(d, "tracked"):
            fail("a process without a segment is in the filter map")
        before = series(d.scrape(), tracked.pid)
        tracked.advance("done")
        untracked.advance("done")
        check_exact(before, series(d.scrape(), tracked.pid), "tracked process")
        if d.scrape().find("hakmem_bpf_syscalls_total", pid=untracked.pid):
            fail("an untracked process was counted in tracked mode")
        # Reload into all: the same programs and maps, the tracked process's counts kept.
        progs, _ = up(d, "tracked")
        kept = series(d.scrape(), tracked.pid)
        d.reload(dict(d.config, ebpf="all"))
        harness.wait_for(lambda: d.scrape().find("hakmem_bpf_up", mode="all"), "mode all")
        if up(d, "all")[0] != progs:
            fail("switching tracked -> all reloaded the programs")
        now = series(d.scrape(), tracked.pid)
        if any(now.get(k, 0) < v for k, v in kept.items()):
            fail(f"counts went back on reload: {kept} -> {now}")
        again = memsys(seg)  # untracked, now counted from its first call
        try:
            before = series(d.scrape(), again.pid)
            again.advance("done")
            check_exact(before, series(d.scrape(), again.pid), "untracked process in all mode")
        finally:
            again.finish()
    finally:
        tracked.finish()
        untracked.finish()
        d.stop()


def test_tracked_mode_attaches_only_while_a_process_is_tracked():
    seg = harness.segment_dir()
    d = harness.Daemon(seg)

    def links():
        return len(bpf_objects(d.proc.pid)[1])
    try:
        harness.wait_for(lambda: links() == 0 and d.scrape().value("hakmemd_bpf_attached") == 0,
                         "the programs detached (nothing to trace)")
        scrape = d.scrape()
        if scrape.find("hakmem_bpf_up") != [({"mode": "tracked", "reason": "ok"}, 1.0)]:
            fail(f"hakmem_bpf_up while detached: {scrape.find('hakmem_bpf_up')}")
        if scrape.value("hakmemd_bpf_attached") != 0 or len(bpf_objects(d.proc.pid)[0]) != len(PROGRAMS):
            fail("detached, the programs should stay loaded and hakmemd_bpf_attached be 0")
        w = harness.steady(seg, classes=2)
        try:
            up(d, "tracked")
        finally:
            w.kill()
        harness.wait_for(lambda: links() == 0, "the programs detached after the process went")
    finally:
        d.stop()


def test_exited_process_is_forgotten():
    seg = harness.segment_dir()
    d = harness.Daemon(seg, ebpf="all")
    w = memsys(seg)
    try:
        up(d, "all")
        w.advance("done")
        if not d.scrape().find("hakmem_bpf_syscalls_total", pid=w.pid):
            fail("no series for the workload")
        w.finish()
        gone_at = time.monotonic()

        harness.wait_for(lambda: w.pid not in map_keys(d, "counts") and not d.scrape().find(
            "hakmem_bpf_syscalls_total", pid=w.pid), "the exited process's map entries to go",
            timeout=10)
        print(f"exited process forgotten after {time.monotonic() - gone_at:.2f}s", flush=True)
    finally:
        w.finish()
        d.stop()


def stats_holders():
    """(pid, fd) of every descriptor that keeps the kernel's program statistics on."""
    out = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:bpf-stats":
                    out.add((int(pid), int(fd)))
        except OSError:
            continue
    return out


def allocator_vs_kernel(scrape, pid):
    """Per syscall: the allocator's own count, the kernel's and the unattributed, calls and
    bytes (bytes: every direction, as the cross-check compares them)."""
    out = {}
    for s in SYSCALLS:
        k_calls = sum(v for _, v in scrape.find("hakmem_bpf_syscalls_total", pid=pid, syscall=s))
        k_bytes = sum(v for _, v in scrape.find("hakmem_bpf_syscall_bytes_total", pid=pid, syscall=s))
        a_calls = sum(v for _, v in scrape.find("hakmem_os_calls_total", pid=pid, syscall=s))
        a_bytes = sum(v for _, v in scrape.find("hakmem_os_bytes_total", pid=pid, syscall=s))
        u_calls = sum(v for _, v in scrape.find("hakmem_bpf_unattributed_calls_total", pid=pid, syscall=s))
        u_bytes = sum(v for _, v in scrape.find("hakmem_bpf_unattributed_bytes_total", pid=pid, syscall=s))
        out[s] = (a_calls, k_calls, u_calls, a_bytes, k_bytes, u_bytes)
    return out


def test_cross_check_of_a_preloaded_workload():
    seg = harness.segment_dir()
    d = harness.Daemon(seg)
    w = harness.Workload(seg, [ARGS["crosscheck"], "20"], ready="ready")
    try:
        up(d, "tracked")
        harness.wait_for(lambda: w.pid in map_keys(d, "tracked"), "the workload in the filter")
        harness.wait_for(lambda: d.scrape().find("hakmem_bpf_unattributed_calls_total", pid=w.pid),
                         "the cross-check's base")
        before = allocator_vs_kernel(d.scrape(), w.pid)
        w.advance("done")
        after = allocator_vs_kernel(d.scrape(), w.pid)
        change = {s: tuple(a - b for a, b in zip(after[s], before[s])) for s in SYSCALLS}
        for s, (a, k, u, ab, kb, ub) in change.items():
            print(f"  {s}: allocator {a:.0f} calls {ab:.0f} B, kernel {k:.0f} calls {kb:.0f} B, "
                  f"unattributed {u:.0f} calls {ub:.0f} B", flush=True)
            if a > k:
                fail(f"{s}: the allocator reports {a} calls, the kernel saw {k}")
        for s in ("munmap", "madvise"):
            a, k, u, ab, kb, ub = change[s]
            if a != k - u or ab != kb - ub:
                fail(f"{s}: allocator {a} calls / {ab} B != kernel {k} / {kb} minus "
                     f"unattributed {u} / {ub}")
        if change["munmap"][0] + change["madvise"][0] <= 0:
            fail("the allocator made no munmap or madvise: the workload tests nothing")
        a, k, u, ab, kb, ub = change["mmap"]
        if u < 1 or ub < 64 * 1024:
            fail(f"the thread's stack (glibc's mmap) is not unattributed: {u} calls, {ub} B")
        # hakmemctl stat asks the daemon and prints the same numbers side by side.
        now = allocator_vs_kernel(d.scrape(), w.pid)
        text = subprocess.run([ARGS["hakmemctl"], "stat", str(w.pid), "--dir", seg, "--daemon",
                               f"127.0.0.1:{d.port}"], capture_output=True, text=True,
                              check=True).stdout
        table = text[text.index("kernel (hakmemd at"):]
        for s in SYSCALLS:
            row = re.search(rf"^\s+{s}\s+(\d+)\s+.*?\s+(\d+)\s+\S+ \S+\s+(\d+)\s", table, re.M)
            a, k, u = now[s][0], now[s][1], now[s][2]
            if not row or (int(row.group(1)), int(row.group(2)), int(row.group(3))) != (a, k, u):
                fail(f"hakmemctl stat row for {s}: {row and row.group(0)!r}, expected allocator "
                     f"{a:.0f}, kernel {k:.0f}, unattributed {u:.0f}:\n{table}")
    finally:
        w.finish()
        d.stop()


def wait_gone(progs, links, stats_before, what):
    def gone():
        return (all(bpftool("prog", "show", "id", str(p)) is None for p in progs) and
                all(bpftool("link", "show", "id", str(l)) is None for l in links))
    harness.wait_for(gone, f"{what}: our programs and links to go", timeout=10)
    pinned = subprocess.run(["find", "/sys/fs/bpf", "-name", "*memsys*"], capture_output=True,
                            text=True).stdout.strip()
    if pinned:
        fail(f"{what}: pinned objects left: {pinned}")
    # Statistics are on while any BPF_ENABLE_STATS descriptor is open (the sysctl shows only
    # its own setting): none but those open before the daemon started may remain.
    left = stats_holders() - stats_before
    if left:
        fail(f"{what}: program statistics still held on by {left}")


def test_sigterm_and_sigkill_leave_nothing():
    for sig in (signal.SIGTERM, signal.SIGKILL):
        seg = harness.segment_dir()
        stats_before = stats_holders()
        d = harness.Daemon(seg, ebpf="all")
        progs, links = up(d, "all")
        if not any(pid == d.proc.pid for pid, _ in stats_holders()):
            fail("hakmemd holds no statistics descriptor")
        d.proc.send_signal(sig)
        d.proc.wait(timeout=10)
        d.log.close()
        wait_gone(progs, links, stats_before, signal.Signals(sig).name)


def expect_down(d, reason, words):
    scrape = harness.wait_for(lambda: d.scrape(), "a scrape")
    got = scrape.find("hakmem_bpf_up")
    if got != [({"mode": "tracked", "reason": reason}, 0.0)]:
        fail(f"hakmem_bpf_up: {got}, expected reason {reason}; log:\n{d.log_text()}")
    lines = [l for l in d.log_text().splitlines() if "eBPF probes not loaded" in l]
    if len(lines) != 1 or not all(w in lines[0] for w in words):
        fail(f"expected one log line naming {words}, got {lines}")
    if scrape.value("hakmemd_build_info") != 1 or not scrape.find("hakmemd_segments"):
        fail("the daemon's other metrics are not served")
    progs, links, _ = bpf_objects(d.proc.pid)
    if progs or links:
        fail(f"probes half loaded: programs {progs}, links {links}")


def test_without_privileges():
    seg = harness.segment_dir()
    # uid 0 without a single capability: what an unprivileged start looks like to bpf().
    d = harness.Daemon(seg, wrapper=["setpriv", "--inh-caps=-all", "--bounding-set=-all"])
    w = harness.steady(seg, classes=2)
    try:
        harness.wait_for(lambda: str(w.pid) in d.scrape().pids(), "the workload's series")
        expect_down(d, "no_permission", ["CAP_BPF", "CAP_PERFMON"])
    finally:
        w.kill()
        d.stop()


def test_without_tracefs():
    seg = harness.segment_dir()
    unmount = ("umount /sys/kernel/debug/tracing 2>/dev/null; umount /sys/kernel/tracing "
               "2>/dev/null; test ! -e /sys/kernel/tracing/events && exec \"$@\"")
    # A private mount namespace without tracefs, and only CAP_BPF + CAP_PERFMON: the daemon
    # cannot mount it and says so.
    d = harness.Daemon(seg, wrapper=["unshare", "-m", "--propagation", "private", "sh", "-c",
                                     unmount, "sh", "setpriv", "--inh-caps=-all",
                                     "--bounding-set=-all,+bpf,+perfmon"])
    try:
        expect_down(d, "no_tracefs", ["tracefs", "mount -t tracefs"])
    finally:
        d.stop()
    # The same namespace as root: the daemon mounts tracefs itself and the probes load.
    d = harness.Daemon(seg, wrapper=["unshare", "-m", "--propagation", "private", "sh", "-c",
                                     unmount, "sh"])
    w = harness.steady(seg, classes=2)  # something to trace, so the programs are attached
    try:
        if "mounted tracefs at /sys/kernel/tracing" not in d.log_text():
            fail(f"no line about mounting tracefs:\n{d.log_text()}")
        up(d, "tracked")
    finally:
        w.kill()
        d.stop()


if __name__ == "__main__":
    harness.run([test_exact_counts_in_all_mode,
                 test_tracked_mode_counts_only_tracked_then_sighup_to_all,
                 test_tracked_mode_attaches_only_while_a_process_is_tracked,
                 test_exited_process_is_forgotten,
                 test_cross_check_of_a_preloaded_workload,
                 test_sigterm_and_sigkill_leave_nothing,
                 test_without_privileges,
                 test_without_tracefs])
