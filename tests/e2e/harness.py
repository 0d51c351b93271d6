"""Shared parts of the hakmemd end-to-end tests: a real hakmemd on a free port with a
temporary segment directory, preloaded workloads paused at known phases, scrapes over HTTP
and a small parser of the text exposition. No mocks: every test talks to real processes."""
import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ARGS = {}


def parse_args(argv):
    """--hakmemd, --preload, --exact, --steady, --golden, --source: paths from CMake."""
    it = iter(argv[1:])
    for a in it:
        if not a.startswith("--"):
            raise SystemExit(f"unexpected argument {a}")
        ARGS[a[2:]] = next(it)
    return ARGS


_TEMP_DIRS = []
atexit.register(lambda: [shutil.rmtree(d, ignore_errors=True) for d in _TEMP_DIRS])
# Every process a test starts (daemons, workloads, Prometheus servers): killed when the test
# script exits, so a test that fails half-way leaves none running. Registered after the
# directories' handler, so it runs before it (atexit runs handlers last in, first out).
_PROCESSES = []


def _kill_leftovers():
    for p in _PROCESSES:
        if p.poll() is None:
            p.kill()
            p.wait()


atexit.register(_kill_leftovers)


def started(proc):
    """proc, killed at exit if it is still running then."""
    _PROCESSES.append(proc)
    return proc


def temp_dir(prefix):
    """A temporary directory removed when the test script exits."""
    d = tempfile.mkdtemp(prefix=prefix)
    _TEMP_DIRS.append(d)
    return d


def fail(msg):
    raise AssertionError(msg)


def wait_for(pred, what, timeout=10.0, step=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            fail(f"timed out waiting for {what}")
        time.sleep(step)


class Daemon:
    """hakmemd with `config` (dict, merged over test defaults), listening on a free port."""

    def __init__(self, segment_dir, wrapper=(), **config):
        self.dir = temp_dir("hakmemd-test-")
        self.config = {"listen": "127.0.0.1:0", "segment_dir": segment_dir,
                       "rescan_interval_seconds": 1, "log_level": "info"}
        self.config.update(config)
        self.config_path = os.path.join(self.dir, "hakmemd.json")
        self.log_path = os.path.join(self.dir, "hakmemd.log")
        self.write_config(self.config)
        self.log = open(self.log_path, "w")
        # wrapper: a command that execs hakmemd in its own process (setpriv, unshare), so that
        # self.proc.pid is hakmemd's pid.
        self.proc = started(subprocess.Popen([*wrapper, ARGS["hakmemd"], "--config", self.config_path],
                                             stdout=self.log, stderr=subprocess.STDOUT))
        self.port = wait_for(self._port, "hakmemd to listen")

    def write_config(self, config):
        with open(self.config_path, "w") as f:
            json.dump(config, f)

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def _port(self, after=0):
        if self.proc.poll() is not None:
            fail(f"hakmemd exited with {self.proc.returncode}:\n{self.log_text()}")
        ports = re.findall(r"listening on [0-9.]+:(\d+)", self.log_text())
        return int(ports[-1]) if len(ports) > after else None

    def reload(self, config):
        """SIGHUP with a new config file; returns the port after the reload."""
        known = len(re.findall(r"listening on", self.log_text()))
        self.write_config(config)
        self.proc.send_signal(signal.SIGHUP)
        return known

    def url(self):
        return f"http://127.0.0.1:{self.port}/metrics"

    def scrape_text(self):
        with urllib.request.urlopen(self.url(), timeout=10) as r:
            return r.read().decode()

    def scrape(self):
        return parse_exposition(self.scrape_text())

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                fail("hakmemd did not stop on SIGTERM")
        self.log.close()
        return self.proc.returncode

    def vm_rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def open_fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def fd_targets(self):
        """What the daemon's open fds point at, counted: for a failure message."""
        targets = {}
        for fd in os.listdir(f"/proc/{self.proc.pid}/fd"):
            try:
                t = os.readlink(f"/proc/{self.proc.pid}/fd/{fd}")
            except OSError:
                continue
            t = re.sub(r"\[\d+\]", "[...]", t)
            targets[t] = targets.get(t, 0) + 1
        return ", ".join(f"{n} x {t}" for t, n in sorted(targets.items()))


LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Samples:
    """Parsed exposition: families (from # TYPE) and samples as (name, labels dict, value)."""

    def __init__(self):
        self.types = {}
        self.samples = []

    def find(self, name, **labels):
        return [(l, v) for n, l, v in self.samples
                if n == name and all(l.get(k) == str(x) for k, x in labels.items())]

    def value(self, name, **labels):
        found = self.find(name, **labels)
        if len(found) != 1:
            fail(f"expected one sample of {name}{labels}, found {len(found)}")
        return found[0][1]

    def pids(self):
        return {l["pid"] for n, l, v in self.samples if n.startswith("hakmem_") and "pid" in l}


def parse_exposition(text):
    s = Samples()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ", 3)
            s.types[name] = typ
        elif line and not line.startswith("#"):
            m = LINE.match(line)
            if not m:
                fail(f"unparsable exposition line: {line!r}")
            labels = dict(LABEL.findall(m.group(3) or ""))
            v = m.group(4)
            s.samples.append((m.group(1), labels, float("nan") if v in ("Nan", "NaN") else float(v)))
    return s


class Workload:
    """A preloaded program publishing into `segment_dir`; exact_workload pauses at phases."""

    def __init__(self, segment_dir, argv, ready=None, preload=True, env=None):
        env = dict(os.environ, HAKMEM_STATS_DIR=segment_dir, **(env or {}))
        if preload:
            env["LD_PRELOAD"] = ARGS["preload"]
        self.proc = started(subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             env=env, text=True))
        self.pid = self.proc.pid
        self.segment = os.path.join(segment_dir, f"hakmem.{self.pid}")
        if ready:
            self.expect(ready)

    def expect(self, line):
        got = self.proc.stdout.readline().strip()
        if got != line:
            fail(f"workload {self.pid}: expected {line!r}, got {got!r}")

    def advance(self, expected):
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        self.expect(expected)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def finish(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "demo"))
import stack  # noqa: E402  (demo/stack.py: the product's own Prometheus launcher)


class Prometheus(stack.Prometheus):
    """Debian's prometheus on a free loopback port, scraping hakmemd at `target_port` every
    second with `rule_files` (absolute paths), in a temporary directory (demo/stack.py); a
    query fails the test when the server has exited."""

    def __init__(self, target_port=None, rule_files=(), config_text=None):
        super().__init__(temp_dir("hakmem-prom-"), target_port, rule_files, config_text=config_text)
        started(self.proc)

    def query(self, expr, at=None):
        if self.proc.poll() is not None:
            fail(f"prometheus exited: {self.log_tail()}")
        return super().query(expr, at)


def exact(segment_dir, n):
    """exact_workload with n blocks of its own class, paused at `start`."""
    return Workload(segment_dir, [ARGS["exact"], str(n)], ready="start")


def steady(segment_dir, classes=10, mode="sleep"):
    return Workload(segment_dir, [ARGS["steady"], str(classes), mode], ready="ready")


def segment_dir():
    d = temp_dir("hakmem-seg-")
    os.chmod(d, 0o700)
    return d


def run(tests):
    """Runs each test function; prints a summary line ctest shows on failure."""
    parse_args(__import__("sys").argv)
    failed = 0
    for t in tests:
        start = time.monotonic()
        try:
            t()
            print(f"PASS {t.__name__} ({time.monotonic() - start:.1f}s)", flush=True)
        except Exception as e:  # noqa: BLE001 - report every failure, go on
            failed += 1
            print(f"FAIL {t.__name__}: {e}", flush=True)
    print(f"{len(tests) - failed} passed, {failed} failed")
    raise SystemExit(1 if failed else 0)
