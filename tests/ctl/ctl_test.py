"""hakmemctl against real preloaded processes. One case per run:
  exact     exact_workload (N blocks of one class, freed from another thread) paused at known
            phases: stat text and JSON, list, snapshot, compare and top checked field by field
  stale     a SIGKILLed process's segment is listed as stale and `list --clean` removes it,
            and nothing else (live segments, symlinks, other files)
  scribble  a copy of a real segment truncated and overwritten with garbage in a loop while
            `hakmemctl stat` reads it: each run prints a reading or a clear error, never crashes
  errors    every usage and runtime error: its exit code and a message naming what was wrong
No timing assertions: workloads wait on a pipe at each phase."""
import json
import os
import random
import re
import signal
import tempfile
import threading

from ctl_harness import CLASS_SIZE, N, Workload, abi_version, check, ctl, run, table_rows


def the_class(j):
    found = [c for c in j["classes"] if c["size"] == CLASS_SIZE]
    check(len(found) == 1, f"class of size {CLASS_SIZE} not in {[c['size'] for c in j['classes']]}")
    return found[0]


def check_exact_json(j, w, segdir):
    check(j["format"] == "hakmem-snapshot" and j["format_version"] == 1, "format")
    check(j["pid"] == w.pid, f"pid {j['pid']} != {w.pid}")
    check(j["comm"] == "exact_workload", f"comm {j['comm']!r}")
    check((j["abi_major"], j["abi_minor"]) == abi_version(), "abi version")
    check(j["flags"] & 1 == 1, "flags: not active")
    check(j["settings"].get("HAKMEM_STATS_DIR") == segdir, "HAKMEM_STATS_DIR setting")
    c = the_class(j)
    for field, want in (("allocs", N), ("frees", N), ("remote_frees", N), ("live_bytes", 0)):
        check(c[field] == want, f"class {CLASS_SIZE} {field} = {c[field]}, expected {want}")
    paths = list(c["refills"])
    check(paths == list(c["refill_objects"]) == list(c["hit_rate_percent"]), "path names agree")
    check("virgin_carve" in paths and "new_superslab" in paths, f"path names {paths}")
    objects = sum(c["refill_objects"].values())
    # Every allocation came from a refill; what was refilled and not allocated is still cached.
    check(objects >= N, f"refilled objects {objects} < allocations {N}")
    check(abs(sum(c["hit_rate_percent"].values()) - 100.0) < 1e-6, "hit rates sum to 100 %")
    for p in paths:
        r, o = c["refills"][p], c["refill_objects"][p]
        check(abs(c["hit_rate_percent"][p] - 100.0 * o / objects) < 1e-9, f"hit rate of {p}")
        check(abs(c["objects_per_refill"][p] - (o / r if r else 0.0)) < 1e-9, f"objects/refill of {p}")
        check(r <= o, f"{p}: {r} refills drew {o} objects")
    check({"global_heap", "pool", "orphans"} <= set(j["locks"]), f"locks {list(j['locks'])}")
    for lock in j["locks"].values():
        check(set(lock) == {"acquisitions", "contended", "wait_ns_total", "wait_ns_max",
                            "hold_ns_total"}, f"lock fields {set(lock)}")
    p = j["process"]
    check(p["mapped_bytes"] > 0, "mapped bytes")
    check(set(p["os_calls"]) == {"mmap", "munmap", "madvise", "mremap"}, "os calls")
    check(p["os_calls"]["mmap"] > 0, "mmap calls")
    check(j["slots"]["live"] >= 1 and j["slots"]["total"] > j["slots"]["live"], "slots")
    # ABI 1.5: the span cache and the thread caches' capacity (the workload's live heaps have
    # one for the class: capacity x block size) and resizes.
    check(set(p["span_cache_events"]) == {"hit", "miss", "trim", "evict"}, "span cache events")
    check(p["span_cache_bytes"] >= 0 and set(c["cache_resizes"]) == {"grow", "shrink"}, "cache resizes")
    check(c["cache_capacity"] > 0 and c["cache_capacity_bytes"] == c["cache_capacity"] * CLASS_SIZE,
          f"cache capacity {c['cache_capacity']} blocks, {c['cache_capacity_bytes']} bytes")
    # ABI 1.6: the footprint at the peak, as the workload holds everything it ever allocated at
    # once and then none of it: the peak's live bytes are the N blocks (its allocation of them
    # ran resident past the first record), within the workload's other blocks.
    k = p["peak"]
    check(set(k) == {"resident_bytes", "mapped_bytes", "live_bytes"}, f"peak fields {set(k)}")
    check(0 < k["resident_bytes"] <= k["mapped_bytes"] <= p["mapped_bytes"], f"peak {k}")
    check(0 < k["live_bytes"] <= N * CLASS_SIZE + (1 << 20), f"peak live {k['live_bytes']}")
    return c


def case_exact(segdir):
    w = Workload(segdir)
    other = Workload(segdir, env={"HAKMEM_TCACHE_CAP": "16", "HAKMEM_PROFILE": "throughput"})
    try:
        w.run_to("start", "allocated", "alive")
        j = json.loads(ctl("stat", w.pid, "--json").stdout)
        c = check_exact_json(j, w, segdir)

        abi = "%d.%d" % abi_version()
        text = ctl("stat", w.pid).stdout
        check(text.startswith(f"pid {w.pid} (exact_workload)  ABI {abi}"), text.splitlines()[0])
        row = [r for r in table_rows(text, "classes with activity") if r[1] == str(CLASS_SIZE)]
        check(len(row) == 1, f"no row for class {CLASS_SIZE}")
        cls, size, allocs, frees, remote, live, slabs, refilled, cache_bytes, resizes = row[0]
        check((int(cls), int(allocs), int(frees), int(remote), int(live)) ==
              (c["class"], N, N, N, 0), f"stat row {row[0]}")
        check(int(refilled) == sum(c["refill_objects"].values()), "refilled objects column")
        check(int(cache_bytes) == c["cache_capacity_bytes"], "cache bytes column")
        check(resizes == f"{c['cache_resizes']['grow']}/{c['cache_resizes']['shrink']}", f"resizes cell {resizes}")
        check(re.search(r"^  span cache [\d.]+ [KMG]?i?B: hit \d+ miss \d+ trim \d+ evict \d+$", text, re.M),
              "span cache line")
        check(re.search(r"^  at the peak: resident [\d.]+ [KMG]?i?B, mapped [\d.]+ [KMG]?i?B, live [\d.]+ [KMG]?i?B"
                        r" \(resident/live [\d.]+, mapped/live [\d.]+\)$", text, re.M), "peak line")
        path_rows = [r for r in table_rows(text, "refill paths") if r[1] == str(CLASS_SIZE)]
        check({r[2] for r in path_rows} == {p for p, o in c["refill_objects"].items() if o},
              "refill path rows")
        for r in path_rows:
            check(r[3] == f"{c['hit_rate_percent'][r[2]]:.1f}%", f"hit rate cell {r}")
            check(int(r[5]) == c["refill_objects"][r[2]], f"objects cell {r}")
        check(re.search(r"^  HAKMEM_STATS_DIR=" + re.escape(segdir) + r"  \(env\)$", text, re.M), "settings")
        check(re.search(r"^  HAKMEM_PROFILE=balanced  \(default\)$", text, re.M), "the profile setting")
        check(re.search(r"^  global_heap\s+\d+\s+\d+\s+[\d.]+%", text, re.M), "lock table")

        listing = ctl("list", "--dir", segdir).stdout
        mine = [l.split() for l in listing.splitlines() if l.split()[:1] == [str(w.pid)]]
        check(len(mine) == 1 and mine[0][1] == "exact_workload" and mine[0][-2:] == [abi, "live"],
              f"list: {listing}")

        snap = os.path.join(segdir, "..", f"snap-{w.pid}.json")
        with open(snap, "w") as f:
            f.write(ctl("snapshot", w.pid).stdout)
        with open(snap) as f:
            check(the_class(json.load(f))["allocs"] == N, "snapshot file")
        cmp = ctl("compare", snap, w.pid).stdout
        rows = [r for r in table_rows(cmp, "refill-path hit rates") if r[1] == str(CLASS_SIZE)]
        check(rows and all(r[5] == "0.0" for r in rows), f"compare with itself: {cmp}")
        check("HAKMEM_* settings that differ\n  (none)" in cmp, cmp)

        other.run_to("start", "allocated")  # its class active too, for the capacity rows
        cmp = ctl("compare", w.pid, other.pid).stdout
        check(re.search(r"^  HAKMEM_TCACHE_CAP\s+\d+\s+16$", cmp, re.M), f"settings diff: {cmp}")
        # The two caps differ (HAKMEM_TCACHE_CAP 16 under the throughput profile's bytes):
        # the class's row gives each reading's capacity as its own stat says it.
        caps = [the_class(json.loads(ctl("stat", pid, "--json").stdout))["cache_capacity_bytes"]
                for pid in (w.pid, other.pid)]
        rows = [r for r in table_rows(cmp, "thread-cache capacity that differs") if r[1] == str(CLASS_SIZE)]
        check(len(rows) == 1 and [int(rows[0][2]), int(rows[0][3])] == caps,
              f"capacities {caps} in compare: {cmp}")
        check(re.search(r"^span cache hit rate\n  A (no lookups|[\d.]+% \(\d+ of \d+\))\n  B ", cmp, re.M),
              f"span cache hit rates: {cmp}")
        # The profile's values, each with its source; the variable set explicitly wins.
        o = json.loads(ctl("stat", other.pid, "--json").stdout)
        want = {"HAKMEM_PROFILE": ("throughput", "env"), "HAKMEM_TCACHE_CAP": ("16", "env"),
                "HAKMEM_TCACHE_BYTES": ("262144", "profile"), "HAKMEM_DECAY_MS": ("1000", "profile"),
                "HAKMEM_ADOPT": ("1", "default")}
        for key, (value, source) in want.items():
            got = (o["settings"].get(key), o["setting_sources"].get(key))
            check(got == (value, source), f"{key}: {got}, expected {(value, source)}")

        top = ctl("top", w.pid, "--iterations", 2, "--interval", 0.1).stdout
        refreshes = top.split("hakmemctl top  refresh ")[1:]
        check(len(refreshes) == 2, top)
        for i, want_ops in enumerate((2 * N, 0)):  # since start, then nothing (paused)
            rows = [l.split() for l in refreshes[i].splitlines()
                    if l.split()[:1] == [str(w.pid)] and l.split()[3] == str(CLASS_SIZE)]
            check(len(rows) == 1 and int(rows[0][4]) == want_ops, f"top refresh {i + 1}: {refreshes[i]}")

        w.go()
        w.expect("exited")
        j = json.loads(ctl("stat", w.pid, "--json").stdout)
        check_exact_json(j, w, segdir)
        w.go()
        check(w.proc.wait(timeout=30) == 0, "workload exit")
        check(not os.path.exists(os.path.join(segdir, f"hakmem.{w.pid}")), "segment removed at exit")
        r = ctl("stat", w.pid, expect_rc=1)
        check(f"no segment for pid {w.pid}" in r.stderr, r.stderr)
    finally:
        w.finish()
        other.finish()


def case_stale(segdir):
    dead = Workload(segdir)
    live = Workload(segdir)
    try:
        dead.expect("start")
        live.expect("start")
        dead.proc.send_signal(signal.SIGKILL)
        dead.proc.wait(timeout=30)
        seg = os.path.join(segdir, f"hakmem.{dead.pid}")
        check(os.path.exists(seg), "a SIGKILLed process leaves its segment")
        # Neither of these may ever be removed.
        with open(os.path.join(segdir, "notes.txt"), "w") as f:
            f.write("not a segment")
        link_pid = 2147483600
        os.symlink(seg, os.path.join(segdir, f"hakmem.{link_pid}"))

        def states():
            out = ctl("list", "--dir", segdir).stdout
            return {int(l.split()[0]): l for l in out.splitlines()[2:] if l.strip()}
        s = states()
        check("stale (gone)" in s[dead.pid] and "exact_workload" in s[dead.pid], s[dead.pid])
        check(s[live.pid].rstrip().endswith("live"), s[live.pid])
        check("rejected (symlink)" in s[link_pid], s[link_pid])
        r = ctl("stat", dead.pid, "--dir", segdir, expect_rc=1)
        check("stale (gone)" in r.stderr and "--clean" in r.stderr, r.stderr)

        out = ctl("list", "--clean", "--dir", segdir).stdout
        check(re.search(rf"^  {dead.pid} .*stale \(gone\), removed$", out, re.M), out)
        check(not os.path.exists(seg), "list --clean removed the stale segment")
        check(os.path.exists(os.path.join(segdir, f"hakmem.{live.pid}")), "live segment kept")
        check(os.path.lexists(os.path.join(segdir, f"hakmem.{link_pid}")), "symlink kept")
        check(os.path.exists(os.path.join(segdir, "notes.txt")), "other file kept")
        s = states()
        check(dead.pid not in s and live.pid in s, f"after --clean: {s}")
    finally:
        dead.finish()
        live.finish()


def case_scribble(segdir):
    w = Workload(segdir)
    try:
        w.run_to("start", "allocated", "alive")
        with open(os.path.join(segdir, f"hakmem.{w.pid}"), "rb") as f:
            good = f.read()
        # A second directory where the file under w's pid is ours to wreck; w stays alive, so
        # a valid reading is a live one.
        wreck_dir = tempfile.mkdtemp(prefix="wreck-", dir=os.path.dirname(segdir))
        path = os.path.join(wreck_dir, f"hakmem.{w.pid}")
        with open(path, "wb") as f:
            f.write(good)

        # Deterministic ones first: the message names the reason.
        def rewrite(data):
            fd = os.open(path, os.O_WRONLY)
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
            os.close(fd)
        for data, reason in ((good[:1000], "truncated"), (b"\0" * len(good), "not_published"),
                             (b"x" * len(good), "bad_magic"),
                             (good[:8] + (2).to_bytes(2, "little") + good[10:], "unknown_major")):
            rewrite(data)
            r = ctl("stat", w.pid, "--dir", wreck_dir, expect_rc=1)
            check(f"segment of pid {w.pid} rejected ({reason})" in r.stderr, r.stderr)
        check(f"ABI version is 2.{abi_version()[1]}; this reader knows major 1" in r.stderr, r.stderr)
        rewrite(good)
        check(ctl("stat", w.pid, "--dir", wreck_dir).stdout.startswith(f"pid {w.pid} "), "restored")

        stop = threading.Event()
        rng = random.Random(4)

        def scribbler():
            fd = os.open(path, os.O_WRONLY)
            while not stop.is_set():
                op = rng.randrange(5)
                if op == 0:
                    os.ftruncate(fd, rng.randrange(len(good) + 1))
                elif op == 1:
                    at = rng.randrange(len(good))
                    os.pwrite(fd, os.urandom(rng.randrange(1, 64)), at)
                elif op == 2:  # the header, where the structure is
                    os.pwrite(fd, os.urandom(8), rng.randrange(0, 368, 8))
                else:
                    os.ftruncate(fd, len(good))
                    os.pwrite(fd, good, 0)
            os.close(fd)

        t = threading.Thread(target=scribbler)
        t.start()
        outcomes = {}
        try:
            for i in range(200):
                as_json = i % 2 == 1
                args = ["stat", w.pid, "--dir", wreck_dir] + (["--json"] if as_json else [])
                r = ctl(*args, expect_rc=None)
                check(r.returncode in (0, 1), f"exit {r.returncode}: {r.stderr}")
                if r.returncode == 0:
                    if as_json:
                        check(json.loads(r.stdout)["pid"] == w.pid, "json reading")
                    else:
                        check(r.stdout.startswith(f"pid {w.pid} "), r.stdout[:80])
                        check(all(c == "\n" or " " <= c <= "~" for c in r.stdout),
                              "text output holds only printable ASCII")
                    outcomes["ok"] = outcomes.get("ok", 0) + 1
                else:
                    # Rejected with a reason, or (a scribbled start time) stale.
                    m = re.match(rf"hakmemctl stat: (?:segment of pid {w.pid} rejected|the "
                                 rf"segment of pid {w.pid} is stale) \((\w+)\): \S", r.stderr)
                    check(m and r.stderr.count("\n") == 1, f"unclear error: {r.stderr!r}")
                    outcomes[m.group(1)] = outcomes.get(m.group(1), 0) + 1
        finally:
            stop.set()
            t.join()
        print("outcomes:", outcomes)
    finally:
        w.finish()


def case_errors(segdir):
    def err(args, rc, *needles):
        r = ctl(*args, expect_rc=rc)
        for n in needles:
            check(n in r.stderr, f"hakmemctl {args}: {n!r} not in {r.stderr!r}")
        return r
    r = ctl("--help")
    check("exit codes:" in r.stdout and "2  usage error" in r.stdout, r.stdout)
    err([], 2, "usage: hakmemctl")
    err(["frobnicate"], 2, "unknown command 'frobnicate'")
    err(["stat"], 2, "missing PID")
    err(["stat", "abc"], 2, "'abc' is not a pid")
    err(["stat", "0"], 2, "'0' is not a pid")
    err(["stat", "1", "2"], 2, "unexpected argument '2'")
    err(["stat", "1", "--bogus"], 2, "unknown option --bogus")
    err(["top", "--interval", "soon"], 2, "--interval wants a number")
    err(["top", "--iterations"], 2, "--iterations needs a value")
    err(["compare", "1"], 2, "missing A and B")
    err(["list", "--dir", os.path.join(segdir, "nope")], 1, "cannot read the segment directory")
    me = os.getpid()
    err(["stat", me, "--dir", segdir], 1, f"no segment for pid {me} in {segdir}",
        "runs without HAKMEM telemetry")
    err(["stat", 2147483646, "--dir", segdir], 1, "no such process")
    err(["compare", "/nonexistent.json", "/nonexistent.json"], 1,
        "cannot read snapshot file /nonexistent.json")

    w = Workload(segdir)
    try:
        w.expect("start")
        good = json.loads(ctl("snapshot", w.pid).stdout)
    finally:
        w.finish()
    base = os.path.dirname(segdir)

    def bad_file(name, doc):
        p = os.path.join(base, name)
        with open(p, "w") as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc))
        return p
    ok = bad_file("ok.json", good)
    check("(none)" in ctl("compare", ok, ok).stdout, "a file compared with itself")
    err(["compare", bad_file("garbage.json", "{not json"), ok], 1, "garbage.json: not valid JSON")
    doc = json.loads(json.dumps(good))
    doc["classes"][0]["allocs"] = "many"
    err(["compare", ok, bad_file("type.json", doc)], 1,
        "type.json: $.classes[0].allocs: expected an unsigned integer, found string")
    doc = json.loads(json.dumps(good))
    del doc["process"]["os_calls"]
    err(["compare", ok, bad_file("missing.json", doc)], 1, "$.process.os_calls: missing")
    doc = json.loads(json.dumps(good))
    doc["format_version"] = 9
    err(["compare", ok, bad_file("version.json", doc)], 1, "$.format_version: 9")
    doc = json.loads(json.dumps(good))
    doc["settings"]["HAKMEM_STATS"] = 1
    err(["compare", ok, bad_file("setting.json", doc)], 1, "$.settings.HAKMEM_STATS: expected a string")


if __name__ == "__main__":
    run({"exact": case_exact, "stale": case_stale, "scribble": case_scribble,
         "errors": case_errors})
