"""The demo's running parts, each a real program on loopback: hakmemd over a private segment
directory, Debian's Prometheus scraping it every second with the shipped rules, and the
preloaded workloads. Every process is started in its own session, so a Ctrl-C in the terminal
reaches only the demo, which then stops them in order; Stack.close() leaves nothing running
and removes its work directory. Standard library only (Debian's python3)."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request


def free_port(preferred=None):
    """`preferred` when nothing listens there on loopback, else a port the kernel picks."""
    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise OSError("no free loopback port")


def wait_until(pred, what, timeout, step=0.1, alive=None):
    """pred()'s first true value; RuntimeError naming `what` after `timeout` seconds, or as
    soon as alive() says the process that should make it true has exited."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if alive is not None and not alive():
            raise RuntimeError(f"{what}: the process exited")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(step)


class Prometheus:
    """Debian's prometheus on loopback (`port`, or a free one), scraping hakmemd at
    `target_port` every `interval` seconds (honor_labels, as config/prometheus.yml), with
    `rule_files` (absolute paths) evaluated as often; or run with `config_text` as its whole
    configuration instead. Its data and log live in `work_dir`."""

    def __init__(self, work_dir, target_port=None, rule_files=(), port=None, interval=1, config_text=None):
        self.dir = work_dir
        cfg = os.path.join(work_dir, "prometheus.yml")
        with open(cfg, "w") as f:
            if config_text is not None:
                f.write(config_text)
            else:
                f.write(f"global:\n  scrape_interval: {interval}s\n  evaluation_interval: {interval}s\n")
                if rule_files:
                    f.write("rule_files:\n" + "".join(f"  - {r}\n" for r in rule_files))
                f.write("scrape_configs:\n  - job_name: hakmemd\n    honor_labels: true\n"
                        f"    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n")
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(work_dir, "prometheus.log"), "w")
        self.proc = subprocess.Popen(["prometheus", f"--config.file={cfg}",
                                      f"--storage.tsdb.path={os.path.join(work_dir, 'data')}",
                                      f"--web.listen-address=127.0.0.1:{self.port}"],
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def api(self, path):
        """The decoded JSON of /api/v1/<path>, or None when it cannot be had."""
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/{path}", timeout=10) as r:
                return json.load(r)
        except (OSError, ValueError):
            return None

    def query(self, expr, at=None):
        """(the instant query's result list, None), or (None, what went wrong)."""
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        return self._result(self.api("query?" + urllib.parse.urlencode(params)))

    def query_range(self, expr, start, end, step=1):
        """(the range query's matrix, None), or (None, what went wrong)."""
        params = {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": str(step)}
        return self._result(self.api("query_range?" + urllib.parse.urlencode(params)))

    def _result(self, body):
        if self.proc.poll() is not None:
            return None, f"prometheus exited: {self.log_tail()}"
        if body is None:
            return None, "no answer"
        if body.get("status") != "success":
            return None, body.get("error", "query failed")
        return body["data"]["result"], None

    def ready(self):
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def log_tail(self, lines=15):
        self.log.flush()
        with open(self.log.name) as f:
            return "".join(f.readlines()[-lines:])

    def stop(self):
        stop_process(self.proc)
        self.log.close()


class Hakmemd:
    """hakmemd on a free loopback port over `segment_dir`, eBPF in tracked mode: loaded when
    the daemon may (root, or CAP_BPF and CAP_PERFMON), else reported down with its reason."""

    def __init__(self, binary, work_dir, segment_dir):
        self.config = os.path.join(work_dir, "hakmemd.json")
        with open(self.config, "w") as f:
            json.dump({"listen": "127.0.0.1:0", "segment_dir": segment_dir, "rescan_interval_seconds": 1,
                       "ebpf": "tracked", "log_level": "info"}, f)
        self.log_path = os.path.join(work_dir, "hakmemd.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([binary, "--config", self.config], stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.port = int(wait_until(self._port, "hakmemd to listen", 15, alive=self.alive))
        self.url = f"http://127.0.0.1:{self.port}/metrics"

    def _port(self):
        with open(self.log_path) as f:
            for line in f:
                if "listening on 127.0.0.1:" in line:
                    return line.rsplit(":", 1)[1].split()[0]
        return None

    def alive(self):
        return self.proc.poll() is None

    def log_text(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        stop_process(self.proc)
        self.log.close()


def stop_process(proc, timeout=15):
    """SIGTERM, then SIGKILL after `timeout` seconds: the process is gone when this returns."""
    if proc.poll() is None:
        try:
            proc.terminate()
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        except ProcessLookupError:
            pass


class Stack:
    """The work directory (segments, configs, Prometheus's data) and every process started in
    it, closed in reverse order of starting: workloads first, then Prometheus, then hakmemd."""

    def __init__(self, prefix="hakmem-demo-"):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.segments = os.path.join(self.dir, "segments")
        os.mkdir(self.segments, 0o700)
        self._parts = []

    def add(self, part):
        self._parts.append(part)
        return part

    def path(self, name):
        p = os.path.join(self.dir, name)
        os.makedirs(p, exist_ok=True)
        return p

    def close(self):
        # Signals arriving now must not interrupt the shutdown half-way.
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            while self._parts:
                self._parts.pop().stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
            signal.signal(signal.SIGINT, old)
