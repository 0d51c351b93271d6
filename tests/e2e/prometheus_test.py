"""A real Prometheus server, started on loopback, scrapes a real hakmemd every second while a
preloaded workload churns: rate(hakmem_allocs_total[...]) for the workload's pid turns
positive, and the target is up."""
import harness
from harness import fail


def test_prometheus_scrapes_rate():
    seg = harness.segment_dir()
    d = harness.Daemon(seg)
    w = harness.steady(seg, classes=6, mode="churn")
    prom = harness.Prometheus(d.port)
    try:
        expr = f'rate(hakmem_allocs_total{{pid="{w.pid}"}}[4s])'

        def positive():
            r, _ = prom.query(f"sum({expr})")
            return r and float(r[0]["value"][1]) > 0 and r

        r = harness.wait_for(positive, "a positive rate", timeout=40, step=0.5)
        up, _ = prom.query('up{job="hakmemd"}')
        if not up or up[0]["value"][1] != "1":
            fail(f"target not up: {up}")
        print(f"  sum({expr}) = {r[0]['value'][1]} allocs/s")
    finally:
        prom.stop()
        w.kill()
        d.stop()


if __name__ == "__main__":
    harness.run([test_prometheus_scrapes_rate])
