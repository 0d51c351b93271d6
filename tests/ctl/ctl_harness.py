"""Shared parts of the hakmemctl tests (ctl_test.py): the paths CMake passes, a preloaded
exact_workload paused at its phases, running hakmemctl, and reading its tables."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ARGS = {}
N = 1000            # blocks exact_workload allocates
CLASS_SIZE = 10240  # the class of its 9000-byte blocks


def fail(msg):
    raise AssertionError(msg)


def check(cond, msg):
    if not cond:
        fail(msg)


class Workload:
    """exact_workload under LD_PRELOAD, publishing into `segdir`, paused at each phase."""

    def __init__(self, segdir, env=None, n=N):
        e = dict(os.environ, LD_PRELOAD=ARGS["preload"], HAKMEM_STATS_DIR=segdir)
        e.update(env or {})
        self.proc = subprocess.Popen([ARGS["exact"], str(n)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=e, text=True)
        self.pid = self.proc.pid

    def expect(self, phase):
        line = self.proc.stdout.readline().strip()
        check(line == phase, f"workload {self.pid}: expected phase {phase!r}, got {line!r}")

    def go(self):
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()

    def run_to(self, *phases):
        """Expects each phase in turn, resuming after all but the last."""
        for i, p in enumerate(phases):
            self.expect(p)
            if i + 1 < len(phases):
                self.go()

    def finish(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)


def abi_version():
    """(major, minor) of the segment ABI hakmemctl and libhakmem are built from (one header)."""
    m = re.search(r"segment ABI (\d+)\.(\d+)", ctl("--version").stdout)
    check(m is not None, "hakmemctl --version names no segment ABI")
    return int(m.group(1)), int(m.group(2))


def ctl(*args, expect_rc=0):
    # Replacement, not an exception, should a byte not be UTF-8: the output is what is tested.
    r = subprocess.run([ARGS["ctl"], *map(str, args)], capture_output=True, timeout=60,
                       encoding="utf-8", errors="replace")
    check(r.returncode >= 0, f"hakmemctl {args} died of signal {-r.returncode}: {r.stderr}")
    if expect_rc is not None:
        check(r.returncode == expect_rc,
              f"hakmemctl {args}: exit {r.returncode}, expected {expect_rc}\n{r.stdout}{r.stderr}")
    return r


def table_rows(text, title):
    """Rows (lists of cells) of the table under the line `title` (up to a blank line)."""
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith(title))
    rows = []
    for l in lines[start + 2:]:
        if not l.strip():
            break
        rows.append(l.split())
    return rows


def run(cases):
    """argv: CASE --ctl PATH --preload PATH --exact PATH. Runs cases[CASE](segdir) with a
    fresh segment directory, which is also hakmemctl's default through HAKMEM_STATS_DIR."""
    case = sys.argv[1]
    it = iter(sys.argv[2:])
    for a in it:
        ARGS[a[2:]] = next(it)
    base = tempfile.mkdtemp(prefix="hakmemctl-test-")
    segdir = os.path.join(base, "segments")
    os.mkdir(segdir, 0o700)
    os.environ["HAKMEM_STATS_DIR"] = segdir
    try:
        cases[case](segdir)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"ctl {case}: ok")
