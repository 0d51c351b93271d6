"""A real Prometheus server, started on loopback, scrapes a real hakmemd every second while a
preloaded workload churns: rate(hakmem_allocs_total[...]) for the workload's pid turns
positive, and the target is up."""
import json
import os
import socket
import subprocess
import urllib.parse
import urllib.request

import harness
from harness import fail


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query(port, expr):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            body = json.load(r)
    except OSError:
        return None
    if body.get("status") != "success":
        return None
    return body["data"]["result"]


def test_prometheus_scrapes_rate():
    seg = harness.segment_dir()
    d = harness.Daemon(seg)
    w = harness.steady(seg, classes=6, mode="churn")
    work = harness.temp_dir("hakmem-prom-")
    cfg = os.path.join(work, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                "scrape_configs:\n  - job_name: hakmemd\n    honor_labels: true\n"
                f"    static_configs:\n      - targets: ['127.0.0.1:{d.port}']\n")
    port = free_port()
    log = open(os.path.join(work, "prometheus.log"), "w")
    prom = subprocess.Popen(["prometheus", f"--config.file={cfg}",
                             f"--storage.tsdb.path={os.path.join(work, 'data')}",
                             f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        expr = f'rate(hakmem_allocs_total{{pid="{w.pid}"}}[4s])'

        def positive():
            if prom.poll() is not None:
                fail(f"prometheus exited: {open(log.name).read()[-2000:]}")
            r = query(port, f"sum({expr})")
            return r and float(r[0]["value"][1]) > 0 and r

        r = harness.wait_for(positive, "a positive rate", timeout=40, step=0.5)
        up = query(port, 'up{job="hakmemd"}')
        if not up or up[0]["value"][1] != "1":
            fail(f"target not up: {up}")
        print(f"  sum({expr}) = {r[0]['value'][1]} allocs/s")
    finally:
        prom.terminate()
        try:
            prom.wait(timeout=20)
        except subprocess.TimeoutExpired:
            prom.kill()
        log.close()
        w.kill()
        d.stop()


if __name__ == "__main__":
    harness.run([test_prometheus_scrapes_rate])
