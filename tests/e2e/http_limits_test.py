"""hakmemd's HTTP bounds against clients that misbehave (README, hakmemd, "Serving limits").

First the situation of the issue: 30 live preloaded processes and 20 scrapers looping on
/metrics (5 s client timeout), alone and then beside stuck clients (connect, send nothing),
slow senders (a byte every 0.3 s), slow readers (a request, then a byte read now and then),
oversized and malformed requests and 300 idle connections at once: every well-behaved scrape
must succeed (counts, p50 and p99 are printed), and the daemon's fds and RSS come back to
their baseline once the bad clients are gone. Then each limit on its own, with small limits:
what it closes or refuses, and the hakmemd_http_* count it leaves. No mocks: real sockets
against the real daemon."""
import os
import socket
import statistics
import threading
import time
import urllib.request

import harness
from harness import fail

REQUEST = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"


def connect(port, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    return s


def closed_by_server(s, within):
    """True when the server closes s (EOF or reset) within `within` seconds, reading and
    dropping whatever it sends first."""
    s.settimeout(0.2)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if s.recv(65536) == b"":
                return True
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


def http_counts(d):
    s = d.scrape()
    closed = {l["reason"]: v for l, v in s.find("hakmemd_http_connections_closed_total")}
    return {
        "accepted": s.value("hakmemd_http_connections_accepted_total"),
        "refused": s.value("hakmemd_http_connections_refused_total"),
        "open": s.value("hakmemd_http_connections_open"),
        "closed": closed,
        "codes": {l["code"]: v for l, v in s.find("hakmemd_http_responses_total")},
    }


def wait_count(d, reason, at_least, what):
    """Until the closes counted for `reason` (a name, or a tuple of names summed) reach
    `at_least`."""
    reasons = (reason,) if isinstance(reason, str) else reason

    def reached():
        try:
            closed = http_counts(d)["closed"]
            return sum(closed[r] for r in reasons) >= at_least
        except OSError:   # refused while every connection is busy: ask again
            return False
    return harness.wait_for(reached, what, timeout=10)


class Scrapers:
    """n threads scraping /metrics back to back, each with a 5 s timeout."""

    def __init__(self, port, n=20):
        self.port, self.stop, self.lat, self.errors = port, threading.Event(), [], []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.loop) for _ in range(n)]

    def loop(self):
        while not self.stop.is_set():
            t = time.monotonic()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as r:
                    body = r.read()
                if b"hakmem_allocs_total" not in body:
                    raise AssertionError("a scrape without hakmem_allocs_total")
                with self.lock:
                    self.lat.append(time.monotonic() - t)
            except Exception as e:  # noqa: BLE001 - every failure is counted and reported
                with self.lock:
                    self.errors.append(repr(e))

    def run(self, seconds):
        for t in self.threads:
            t.start()
        time.sleep(seconds)
        self.stop.set()
        for t in self.threads:
            t.join()
        lat = sorted(self.lat)
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")
        return len(lat), len(self.errors), p(0.5), p(0.99)


class BadClients:
    """Every kind of misbehaving client at once, until close()."""

    def __init__(self, port):
        self.port, self.stop, self.socks = port, threading.Event(), []
        self.threads = []
        for _ in range(50):                      # connect and send nothing
            self.socks.append(connect(port))
        for _ in range(300):                     # hundreds of connections at once
            self.socks.append(connect(port))
        for _ in range(10):
            self.spawn(self.slow_sender)
        for _ in range(10):
            self.spawn(self.slow_reader)
        for _ in range(5):
            self.spawn(self.oversized)
        for _ in range(5):
            self.spawn(self.malformed)

    def spawn(self, f):
        t = threading.Thread(target=self.forever, args=(f,))
        t.start()
        self.threads.append(t)

    def forever(self, f):
        while not self.stop.is_set():
            try:
                f()
            except OSError:
                time.sleep(0.05)

    def slow_sender(self):
        s = connect(self.port)
        try:
            for b in REQUEST:
                if self.stop.wait(0.3):
                    return
                s.send(bytes([b]))
        finally:
            s.close()

    def slow_reader(self):
        s = connect(self.port, rcvbuf=4096)
        try:
            s.sendall(REQUEST * 3)
            while not self.stop.wait(0.5):
                if s.recv(1) == b"":
                    return
        finally:
            s.close()

    def oversized(self):
        s = connect(self.port)
        try:
            s.sendall(b"GET /metrics HTTP/1.1\r\n" + b"X-Junk: " + b"a" * 200000 + b"\r\n\r\n")
            s.recv(4096)
        finally:
            s.close()
        self.stop.wait(0.2)

    def malformed(self):
        s = connect(self.port)
        try:
            s.sendall(b"\x16\x03\x01 not http at all\r\n\r\n")
            s.recv(4096)
        finally:
            s.close()
        self.stop.wait(0.2)

    def close(self):
        self.stop.set()
        for t in self.threads:
            t.join()
        for s in self.socks:
            s.close()


def test_scrapes_survive_misbehaving_clients():
    seg = harness.segment_dir()
    ws = [harness.steady(seg, classes=10) for _ in range(30)]
    d = harness.Daemon(seg)
    try:
        harness.wait_for(lambda: len(d.scrape().pids()) == 30, "30 processes exported")
        n, errors, p50, p99 = Scrapers(d.port).run(4)
        print(f"  alone: {n} scrapes, {errors} failed, p50 {p50:.0f} ms, p99 {p99:.0f} ms")
        if errors or n == 0:
            fail(f"{errors} of {n + errors} scrapes failed with no other client")
        time.sleep(1)
        fds, rss = d.open_fds(), d.vm_rss_kib()
        bad = BadClients(d.port)
        try:
            scrapers = Scrapers(d.port)
            n, errors, p50, p99 = scrapers.run(8)
            peak_fds = d.open_fds()
        finally:
            bad.close()
        print(f"  beside bad clients: {n} scrapes, {errors} failed, p50 {p50:.0f} ms, "
              f"p99 {p99:.0f} ms; daemon fds {fds} -> {peak_fds}")
        if errors or n == 0:
            fail(f"{errors} of {n + errors} scrapes failed beside the bad clients: "
                 f"{scrapers.errors[:3]}")
        c = http_counts(d)
        print(f"  counted: {c['closed']} refused={c['refused']}")
        for reason in ("header_timeout", "evicted", "too_large", "bad_request"):
            if c["closed"][reason] == 0:
                fail(f"no connection counted as closed for {reason}")
        harness.wait_for(lambda: d.open_fds() <= fds, f"the daemon's fds back to {fds}", timeout=15)
        after = d.vm_rss_kib()
        print(f"  daemon VmRSS {rss} KiB before the bad clients, {after} KiB after")
        if after > rss + 16 * 1024:
            fail(f"VmRSS grew from {rss} to {after} KiB and stayed")
        if not d.alive():
            fail("hakmemd died")
    finally:
        d.stop()
        for w in ws:
            w.kill()


LIMITS = {"threads": 2, "max_connections": 8, "header_timeout_seconds": 1,
          "idle_timeout_seconds": 1, "write_timeout_seconds": 1,
          "max_requests_per_connection": 3, "max_request_bytes": 1024,
          "send_buffer_bytes": 4096}


def small_limits_daemon(seg):
    return harness.Daemon(seg, http=LIMITS)


def test_timeouts_close_stuck_clients():
    seg = harness.segment_dir()
    w = harness.steady(seg, classes=4)
    d = small_limits_daemon(seg)
    try:
        stuck = connect(d.port)
        t = time.monotonic()
        if not closed_by_server(stuck, 5):
            fail("a client that sends nothing was not closed after header_timeout_seconds=1")
        print(f"  stuck client closed after {time.monotonic() - t:.1f} s")
        slow = connect(d.port)
        t = time.monotonic()
        for b in REQUEST:
            try:
                slow.send(bytes([b]))
            except OSError:
                break
            time.sleep(0.2)
            if time.monotonic() - t > 5:
                fail("a client sending a byte every 0.2 s kept its connection for 5 s")
        if not closed_by_server(slow, 3):
            fail("the slow sender was not closed")
        wait_count(d, "header_timeout", 2, "two header timeouts counted")
        kept = connect(d.port)
        kept.sendall(REQUEST)
        if not closed_by_server(kept, 5):
            fail("an idle kept-alive connection was not closed after idle_timeout_seconds=1")
        wait_count(d, "idle_timeout", 1, "an idle timeout counted")
    finally:
        d.stop()
        w.kill()


def test_write_timeout_and_refusal_at_the_cap():
    seg = harness.segment_dir()
    ws = [harness.steady(seg, classes=30) for _ in range(12)]
    d = small_limits_daemon(seg)
    try:
        harness.wait_for(lambda: len(d.scrape().pids()) == 12, "12 processes exported")
        size = len(d.scrape_text())
        # Readers that never read: each response stays unwritten, its connection busy.
        readers = [connect(d.port, rcvbuf=4096) for _ in range(LIMITS["max_connections"])]
        for r in readers:
            r.sendall(REQUEST * 3)
        time.sleep(0.3)
        extra = connect(d.port)
        extra.settimeout(3)
        try:
            answer = extra.recv(4096)
        except socket.timeout:
            answer = b""
        if not answer.startswith(b"HTTP/1.1 503"):
            fail(f"a connection over the cap of 8 busy ones got {answer[:40]!r}, not a 503")
        # Not reading at all (reading would let the writes finish): the server must give up.
        # The scrapes that read the counts arrive at the cap too, and may evict a response
        # stalled for over 1 s just before its 1 s write timeout fires: both are the server
        # giving up on a reader that does not read, so both count here.
        wait_count(d, ("write_timeout", "evicted"), LIMITS["max_connections"],
                   f"{LIMITS['max_connections']} readers that do not take a {size}-byte "
                   "response closed after write_timeout_seconds=1 (or evicted at the cap)")
        if http_counts(d)["closed"]["write_timeout"] < 1:
            fail("no reader was closed by the write timeout")
        for r in readers:
            if not closed_by_server(r, 5):
                fail("a reader cut off at the write timeout still has its connection")
        c = http_counts(d)
        if c["refused"] < 1 or c["codes"]["503"] < 1:
            fail(f"the refusal was not counted: {c}")
        d.stop()
        # With a long write timeout, a response stalled for over 1 s makes room at the cap.
        d = harness.Daemon(seg, http=dict(LIMITS, write_timeout_seconds=30))
        readers = [connect(d.port, rcvbuf=4096) for _ in range(LIMITS["max_connections"])]
        for r in readers:
            r.sendall(REQUEST * 3)
        time.sleep(1.5)
        d.scrape_text()
        if http_counts(d)["closed"]["evicted"] < 1:
            fail("no stalled writer was evicted for a scrape at the cap")
        for r in readers:
            r.close()
    finally:
        d.stop()
        for w in ws:
            w.kill()


def test_eviction_bad_requests_and_request_limit():
    seg = harness.segment_dir()
    w = harness.steady(seg, classes=4)
    d = small_limits_daemon(seg)
    try:
        idle = [connect(d.port) for _ in range(LIMITS["max_connections"])]
        time.sleep(0.2)
        d.scrape_text()   # a well-behaved scrape past the cap succeeds...
        if not closed_by_server(idle[0], 2):   # ...because the longest-waiting one went
            fail("the connection that waited longest was not evicted at the cap")
        for s in idle:
            s.close()
        cases = [
            (b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 2000 + b"\r\n\r\n", b"431", "too_large"),
            (b"BREW /metrics HTTP/1.1\r\n\r\n", b"405", "bad_request"),
            (b"GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", b"413", "bad_request"),
            (b"GET metrics HTTP/1.1\r\n\r\n", b"400", "bad_request"),
            (b"GET /metrics HTTP/1.1\nHost: x\n\n", b"400", "bad_request"),
            (b"GET /metrics HTTP/2.0\r\n\r\n", b"400", "bad_request"),
        ]
        for req, code, _ in cases:
            s = connect(d.port)
            s.sendall(req)
            s.settimeout(3)
            got = s.recv(4096)
            if not got.startswith(b"HTTP/1.1 " + code):
                fail(f"{req[:30]!r}... got {got[:30]!r}, expected {code.decode()}")
            if not closed_by_server(s, 2):
                fail(f"{req[:30]!r}... was answered but its connection not closed")
        s = connect(d.port)
        s.sendall(REQUEST * 3)   # pipelined: the third answer says close, then the server does
        if not closed_by_server(s, 3):
            fail("the connection was not closed after max_requests_per_connection=3")
        c = http_counts(d)
        print(f"  counted: {c['closed']}, codes {c['codes']}")
        if c["closed"]["evicted"] < 1 or c["closed"]["too_large"] < 1 or \
                c["closed"]["bad_request"] < 5 or c["closed"]["request_limit"] < 1:
            fail(f"not every close was counted: {c['closed']}")
        accepted, open_now = c["accepted"], c["open"]
        if accepted != open_now + sum(c["closed"].values()):
            fail(f"accepted {accepted} != open {open_now} + closed {sum(c['closed'].values())}")
        if "http: connections" not in d.log_text():
            fail("the cut-off connections were not logged")
    finally:
        d.stop()
        w.kill()


if __name__ == "__main__":
    harness.run([test_scrapes_survive_misbehaving_clients, test_timeouts_close_stuck_clients,
                 test_write_timeout_and_refusal_at_the_cap,
                 test_eviction_bad_requests_and_request_limit])
