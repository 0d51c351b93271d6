#!/usr/bin/env python3
"""Other projects' allocator tests under LD_PRELOAD=libhakmem.so: glibc's malloc tests and
mimalloc's stress and API tests, their sources fetched from Debian's source packages.

usage: run.py --lib LIBHAKMEM [--work DIR] [--cache DIR] [--suites glibc,mimalloc]
              [--allocators glibc,hakmem[,jemalloc,mimalloc,tcmalloc|peers]] [--jobs N]
              [--only NAME,...] [--json FILE]

Every case runs under glibc and HAKMEM (and any --allocators named), each in its own process
group with a timeout. One line per case, then a summary. The run fails when:
  - a case that is not skipped fails under HAKMEM, or under glibc, or is unsupported (exit 77)
    under either (a case glibc cannot pass in this environment must be listed with its reason,
    not pass silently);
  - a case skipped as internal (glibc/skip.txt) passes under an installed peer: then it tests
    the API after all, and must be run; or one listed as differing from glibc passes under
    glibc;
  - a case does not build, unless it is listed as unbuildable.
Sources are cached (--cache, default ~/.cache/hakmem/peer-sources): a second run fetches nothing.
"""
import argparse
import json
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer import allocators, execute, glibc_suite, mimalloc_suite, sources  # noqa: E402

SUITES = {"glibc": glibc_suite, "mimalloc": mimalloc_suite}


def log(msg):
    print("peer: " + msg, flush=True)


def allocators_for(case, chosen, peers):
    if case.skip is not None and case.skip.kind not in ("internal", "differs"):
        return []
    names = {a.name for a in chosen}
    todo = list(chosen)
    if case.skip is not None and case.skip.kind == "internal":   # the peers decide the claim
        todo += [p for p in peers if p.name not in names]
    return todo


def run_case(case, todo, base_env):
    for a in todo:
        env = dict(base_env)
        env.update(case.env)
        if a.name == "glibc" and case.glibc_preload:
            env["LD_PRELOAD"] = case.glibc_preload
        env = a.env(env)
        case.results[a.name] = execute.run(case.argv, env, os.path.dirname(case.argv[0]),
                                           case.timeout, case.judge)
    return case


def judge(case, peers):
    """(ok, note) for the case as a whole."""
    if case.skip is not None and case.skip.kind not in ("internal", "differs"):
        return True, "skipped (%s: %s)" % (case.skip.kind, case.skip.reason)
    if case.build_error:
        return False, "does not build: " + case.build_error
    r = case.results
    if case.skip is not None and case.skip.kind == "differs":
        if r["glibc"].verdict == "pass":
            return False, "listed as differing from glibc, but glibc passes: hold HAKMEM to it"
        return True, "not held (differs: %s); fails under glibc" % case.skip.reason
    if case.skip is not None:
        passing = [p.name for p in peers if r[p.name].verdict == "pass"]
        if passing:
            return False, ("listed as internal, but passes under %s: it tests the API; run it"
                           % ", ".join(passing))
        return True, "skipped (internal: %s); fails under every installed peer (%d)" % (
            case.skip.reason, len(peers))
    g, h = r["glibc"], r["hakmem"]
    # Unsupported (exit 77) counts as a failure too: CI has every package and runs as root,
    # so a case that cannot run there is one to list with its reason, not to pass quietly.
    if g.verdict != "pass":
        return False, "fails under glibc (%s): fix the shim or list the case with its reason" % g.detail
    if h.verdict != "pass":
        return False, "FAILS under HAKMEM (%s) where glibc passes" % (h.detail or h.verdict)
    return True, ""


def line(case, ok, note):
    cols = []
    for name, o in case.results.items():
        cols.append("%s %s %.1fs" % (name, o.verdict, o.seconds))
    status = "ok  " if ok else "FAIL"
    text = "%s %-9s %-34s %s" % (status, case.suite, case.name, "  ".join(cols))
    if note:
        text += ("  " if cols else "") + note
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lib", required=True, help="libhakmem.so to preload")
    ap.add_argument("--work", help="build and run directory (default: a temporary one)")
    ap.add_argument("--cache", default=os.path.expanduser("~/.cache/hakmem/peer-sources"))
    ap.add_argument("--suites", default="glibc,mimalloc")
    ap.add_argument("--allocators", default="glibc,hakmem")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", help="comma-separated case names")
    ap.add_argument("--json", help="write every case's results here")
    args = ap.parse_args()

    chosen = allocators.resolve(args.allocators, args.lib)
    if {a.name for a in chosen} < {"glibc", "hakmem"}:
        raise SystemExit("run.py: --allocators must include glibc and hakmem")
    peers = allocators.installed_peers()
    work = args.work or tempfile.mkdtemp(prefix="hakmem-peer-")
    os.makedirs(work, exist_ok=True)
    os.makedirs(args.cache, exist_ok=True)
    base_env = dict(os.environ)
    base_env.pop("LD_PRELOAD", None)
    base_env["TMPDIR"] = os.path.join(work, "tmp")
    os.makedirs(base_env["TMPDIR"], exist_ok=True)
    log("work %s, cache %s, allocators %s, peers installed: %s" % (
        work, args.cache, ",".join(a.name for a in chosen),
        ",".join(p.name for p in peers) or "none"))

    cases = []
    for name in args.suites.split(","):
        if name not in SUITES:
            raise SystemExit("run.py: unknown suite %r (%s)" % (name, ", ".join(SUITES)))
        try:
            cases += SUITES[name].prepare(work, args.cache, args.jobs, log)
        except sources.FetchError as e:
            raise SystemExit("run.py: %s suite: %s" % (name, e))
    if args.only:
        wanted = set(args.only.split(","))
        cases = [c for c in cases if c.name in wanted]
        missing = wanted - {c.name for c in cases}
        if missing:
            raise SystemExit("run.py: no case named %s" % ", ".join(sorted(missing)))

    runnable = [c for c in cases if c.build_error is None]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {c.name + c.suite: pool.submit(run_case, c, allocators_for(c, chosen, peers), base_env)
                   for c in runnable}
        failures = 0
        counts = {"required": 0, "internal": 0, "differs": 0, "skipped": 0}
        for c in cases:
            if c.build_error is None:
                futures[c.name + c.suite].result()
            ok, note = judge(c, peers)
            failures += not ok
            if c.skip is None:
                counts["required"] += 1
            elif c.skip.kind in ("internal", "differs"):
                counts[c.skip.kind] += 1
            else:
                counts["skipped"] += 1
            print(line(c, ok, note), flush=True)
            if not ok:
                for name, o in c.results.items():
                    if o.verdict != "pass":
                        tail = o.output.strip().splitlines()[-12:]
                        print("     %s output (last lines):\n       %s" % (name, "\n       ".join(tail)))

    if args.json:
        with open(args.json, "w") as f:
            json.dump([{"suite": c.suite, "case": c.name,
                        "skip": None if c.skip is None else {"kind": c.skip.kind, "reason": c.skip.reason},
                        "build_error": c.build_error,
                        "results": {n: {"verdict": o.verdict, "seconds": round(o.seconds, 2),
                                        "detail": o.detail} for n, o in c.results.items()}}
                       for c in cases], f, indent=1)
    print("peer: %d cases: %d held to glibc's result, %d skipped as internal (checked against %d "
          "peers), %d where glibc differs (checked against glibc), %d not run (static, unbuildable "
          "or another API); %d failed"
          % (len(cases), counts["required"], counts["internal"], len(peers), counts["differs"],
             counts["skipped"], failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
