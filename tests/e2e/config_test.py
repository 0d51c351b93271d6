"""hakmemd's config: one bad config per error class, each refused with the key's JSON path,
the reason and exit code 2 (--check-config and a real start alike); the shipped config passes;
a bad config sent with SIGHUP keeps the old one serving; an unusable directory stops start-up."""
import json
import os
import subprocess

import harness
from harness import ARGS, fail

BAD = [
    # (what, file text, path in the message, reason fragment)
    ("not json", '{"listen": ', "$", "not valid JSON"),
    ("not an object", "[1, 2]", "$", "expected an object, got array"),
    ("unknown key", '{"listen_address": "127.0.0.1:1"}', "$.listen_address", "unknown key"),
    ("duplicate key", '{"ebpf": true, "ebpf": false}', "$.ebpf", "duplicate key"),
    ("wrong type: string", '{"rescan_interval_seconds": "10"}', "$.rescan_interval_seconds",
     "expected an integer, got string"),
    ("wrong type: bool", '{"stale_cleanup": 1}', "$.stale_cleanup", "expected a boolean, got integer"),
    ("wrong type: float", '{"max_processes": 1.5}', "$.max_processes", "expected an integer, got number"),
    ("wrong type in array", '{"comm_filter": ["ok", 3]}', "$.comm_filter[1]", "expected a string, got integer"),
    ("out of range: zero", '{"rescan_interval_seconds": 0}', "$.rescan_interval_seconds", "out of range"),
    ("out of range: negative", '{"max_processes": -1}', "$.max_processes", "out of range"),
    ("out of range: port", '{"listen": "127.0.0.1:70000"}', "$.listen", "out of range"),
    ("bad address", '{"listen": "localhost:9464"}', "$.listen", "not a numeric IPv4 address"),
    ("bad log level", '{"log_level": "verbose"}', "$.log_level", "unknown log level"),
    ("bad export mode", '{"export": "comm"}', "$.export", "one of: processes, aggregates, both"),
    ("relative directory", '{"segment_dir": "shm"}', "$.segment_dir", "absolute path"),
    ("empty pattern", '{"comm_filter": [""]}', "$.comm_filter[0]", "empty pattern"),
    ("http not an object", '{"http": 5}', "$.http", "expected an object, got integer"),
    ("unknown http key", '{"http": {"timeout": 5}}', "$.http.timeout", "unknown key"),
    ("http out of range", '{"http": {"max_connections": 0}}', "$.http.max_connections", "out of range"),
    ("http threads", '{"http": {"threads": 9}}', "$.http.threads", "out of range"),
    ("http wrong type", '{"http": {"header_timeout_seconds": "5"}}', "$.http.header_timeout_seconds",
     "expected an integer, got string"),
    ("http duplicate key", '{"http": {"threads": 1, "threads": 2}}', "$.http.threads", "duplicate key"),
]


def run_daemon(args):
    return subprocess.run([ARGS["hakmemd"]] + args, capture_output=True, text=True, timeout=20)


def test_bad_configs():
    d = harness.temp_dir("hakmemd-config-")
    for what, text, path, reason in BAD:
        f = os.path.join(d, "bad.json")
        with open(f, "w") as out:
            out.write(text)
        for mode in ("--check-config", "--config"):
            r = run_daemon([mode, f])
            if r.returncode != 2:
                fail(f"{what} ({mode}): exit {r.returncode}, expected 2; stderr {r.stderr!r}")
            if f"{f}: {path}: " not in r.stderr or reason not in r.stderr:
                fail(f"{what} ({mode}): message {r.stderr!r} lacks {path!r} / {reason!r}")


def test_missing_file_and_usage():
    r = run_daemon(["--check-config", "/nonexistent/hakmemd.json"])
    if r.returncode != 2 or "cannot open" not in r.stderr:
        fail(f"missing file: exit {r.returncode}, {r.stderr!r}")
    r = run_daemon(["--frobnicate"])
    if r.returncode != 2 or "unknown argument" not in r.stderr:
        fail(f"bad argument: exit {r.returncode}, {r.stderr!r}")


def test_shipped_config_and_defaults():
    shipped = os.path.join(ARGS["source"], "config", "hakmemd.json")
    r = run_daemon(["--check-config", shipped])
    if r.returncode != 0 or "ok" not in r.stdout:
        fail(f"config/hakmemd.json refused: {r.stderr!r}")
    with open(shipped) as f:
        c = json.load(f)
    if c["listen"] != "127.0.0.1:9464":
        fail("the shipped config must bind 127.0.0.1:9464")
    d = harness.temp_dir("hakmemd-config-")
    f = os.path.join(d, "empty.json")
    with open(f, "w") as out:
        out.write("{}")
    if run_daemon(["--check-config", f]).returncode != 0:
        fail("{} must be a valid config (every key has a default)")


def test_unusable_directory():
    link = os.path.join(harness.temp_dir("hakmemd-config-"), "link")
    os.symlink(harness.segment_dir(), link)
    open_dir = harness.temp_dir("hakmemd-config-")
    os.chmod(open_dir, 0o777)
    for what, d, says in (("missing", "/nonexistent-hakmem-dir", "No such file"),
                          ("world-writable without sticky", open_dir, "without the sticky bit"),
                          ("symlinked", link, "symlink")):
        cfg = os.path.join(harness.temp_dir("hakmemd-config-"), "c.json")
        with open(cfg, "w") as out:
            json.dump({"segment_dir": d, "listen": "127.0.0.1:0"}, out)
        r = run_daemon(["--config", cfg])
        if r.returncode != 1 or "segment directory" not in r.stderr or says not in r.stderr:
            fail(f"{what} directory: exit {r.returncode}, {r.stderr!r}")


def test_address_in_use():
    d = harness.Daemon(harness.segment_dir())
    try:
        cfg = os.path.join(harness.temp_dir("hakmemd-config-"), "c.json")
        with open(cfg, "w") as out:
            json.dump({"segment_dir": harness.segment_dir(), "listen": f"127.0.0.1:{d.port}"}, out)
        r = run_daemon(["--config", cfg])
        if r.returncode != 1 or f"cannot listen on 127.0.0.1:{d.port}" not in r.stderr:
            fail(f"address in use: exit {r.returncode}, {r.stderr!r}")
        d.scrape()  # the first one serves on
    finally:
        d.stop()


def test_reload_keeps_old_config_and_rebinds():
    d = harness.Daemon(harness.segment_dir())
    try:
        old_port = d.port
        # A refused config: the old one keeps serving on the old port.
        d.reload({"listen": "127.0.0.1:0", "bogus": True})
        harness.wait_for(lambda: "config refused" in d.log_text(), "the refusal")
        if "$.bogus: unknown key" not in d.log_text():
            fail("the refusal does not name the key")
        s = d.scrape()
        if s.value("hakmemd_errors_total", source="reload") < 1:
            fail("the refused reload is not counted")
        # An unusable directory is refused too, whole (the listen change with it).
        d.reload(dict(d.config, segment_dir="/nonexistent-hakmem-dir", listen="127.0.0.1:0"))
        harness.wait_for(lambda: d.log_text().count("keeping the old config") >= 1, "refusal")
        d.scrape()
        # A new listen address: rebinding, the old port closed.
        with harness.socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            free_port = probe.getsockname()[1]
        known = d.reload(dict(d.config, listen=f"127.0.0.1:{free_port}"))
        d.port = harness.wait_for(lambda: d._port(after=known), "the rebind")
        if d.port != free_port:
            fail("rebind kept the old port")
        d.scrape()
        try:
            harness.urllib.request.urlopen(f"http://127.0.0.1:{old_port}/metrics", timeout=2)
            fail("the old address still serves after the rebind")
        except OSError:
            pass
    finally:
        rc = d.stop()
    if rc != 0:
        fail(f"SIGTERM: exit {rc}")


if __name__ == "__main__":
    harness.run([test_bad_configs, test_missing_file_and_usage, test_shipped_config_and_defaults,
                 test_unusable_directory, test_address_in_use,
                 test_reload_keeps_old_config_and_rebinds])
