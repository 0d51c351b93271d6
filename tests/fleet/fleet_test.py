"""The fleet configs (config/prometheus/fleet) on real servers: a real hakmemd with a preloaded
workload, a site Prometheus started from site.yml (its file-based discovery pointed at a
targets file naming that hakmemd as host "test-host") and a global Prometheus started from
global.yml federating from the site. The site must label every series with the host and
record the rules with it; the global one must hold the recording rules and hakmemd's `up`
with host and site labels, and no raw per-process series. The shipped files are used as they
are, but for the example values a deployment replaces (paths, addresses) and the intervals,
shortened to 1 s; each replacement must find its text, so a config change fails here.
usage: fleet_test.py --source DIR --hakmemd BIN --preload LIB --steady BIN"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402

HOST = "test-host"


def configured(path, replacements):
    """The text of `path` with each (old, new) replaced; fails if an `old` is not there."""
    with open(path) as f:
        text = f.read()
    for old, new in replacements:
        if old not in text:
            harness.fail(f"{path}: {old!r} is not there (the test follows the shipped file's example values)")
        text = text.replace(old, new)
    return text


def has_series(prom, expr, what):
    def found():
        r, _ = prom.query(expr)
        return r
    return harness.wait_for(found, what, timeout=60, step=0.5)


def test_site_and_global_federation():
    source = harness.ARGS["source"]
    fleet = os.path.join(source, "config", "prometheus", "fleet")
    rules = os.path.join(source, "config", "prometheus", "rules")
    seg = harness.segment_dir()
    d = harness.Daemon(seg)
    w = harness.Workload(seg, [harness.ARGS["steady"], "4", "cycle"], ready="ready")
    targets = harness.temp_dir("hakmem-fleet-targets-")
    with open(os.path.join(targets, "hosts.json"), "w") as f:
        f.write(f'[{{"targets": ["127.0.0.1:{d.port}"], "labels": {{"host": "{HOST}"}}}}]\n')
    site = harness.Prometheus(config_text=configured(os.path.join(fleet, "site.yml"), [
        ("/etc/prometheus/hakmem-hosts/*.json", os.path.join(targets, "*.json")),
        ("scrape_interval: 15s", "scrape_interval: 1s"),
        ("evaluation_interval: 15s", "evaluation_interval: 1s"),
        ("../rules/", rules + "/")]))
    glob = None
    try:
        glob = harness.Prometheus(config_text=configured(os.path.join(fleet, "global.yml"), [
            ("site-a-prometheus:9090", f"127.0.0.1:{site.port}"),
            ("scrape_interval: 30s", "scrape_interval: 1s"),
            ("evaluation_interval: 30s", "evaluation_interval: 1s")]))
        raw = has_series(site, f'hakmem_allocs_total{{host="{HOST}", pid="{w.pid}"}}', "the site to scrape the host")
        print(f"  site: {len(raw)} hakmem_allocs_total series of pid {w.pid} with host={HOST}")
        rec = has_series(site, f'hakmem:refill_path_share:rate5m{{host="{HOST}", pid="{w.pid}"}}',
                         "the site's recording rule with the host label")
        print(f"  site: {len(rec)} hakmem:refill_path_share:rate5m series with host={HOST}")
        fed = has_series(glob, f'hakmem:refill_path_share:rate5m{{host="{HOST}", site="site-a", pid="{w.pid}"}}',
                         "the global Prometheus to federate the recording rule")
        print(f"  global: {len(fed)} federated hakmem:refill_path_share:rate5m series with host and site")
        has_series(glob, f'up{{job="hakmemd", host="{HOST}", site="site-a"}} == 1', "hakmemd's up, federated")
        has_series(glob, f'hakmem_config_info{{host="{HOST}", key="HAKMEM_PROFILE"}}', "the settings, federated")
        r, err = glob.query('count({__name__=~"hakmem_(allocs|frees|refill_objects)_total"})')
        if r is None or r:
            harness.fail(f"the global Prometheus holds raw per-process counters: {r or err}")
        print("  global: no raw per-process counters")
    finally:
        if glob is not None:
            glob.stop()
        site.stop()
        w.kill()
        d.stop()


if __name__ == "__main__":
    harness.run([test_site_and_global_federation])
