"""The main job, as CI can run it: demo/run.py for 20 s against the build directory's
binaries (a real hakmemd, Debian's Prometheus, larson and python3 preloaded). It must exit 0,
print the compare view and the queries, draw a PNG from Prometheus's data, and leave nothing
behind: no process of its own, no listening port, no work directory (with the segments and
Prometheus's data in it). Then again, stopped by a Ctrl-C to its process group 12 s into its run: it
reports from what Prometheus has, exits 0 and leaves nothing behind either.
usage: demo_test.py --source DIR --build-dir DIR"""
import argparse
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time


def fail(msg):
    raise AssertionError(msg)


def check_png(path):
    if not os.path.exists(path):
        fail(f"no PNG at {path}")
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        fail(f"{path} is not a PNG")
    width, height = struct.unpack(">II", head[16:24])
    size = os.path.getsize(path)
    # A chart with data is tens of kilobytes; gnuplot's empty frame is a few.
    if (width, height) != (1500, 1500) or size < 40000:
        fail(f"{path}: {width}x{height}, {size} bytes: not the four-panel chart with data")


def port_closed(port):
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) != 0


def processes_mentioning(text):
    """Pids whose command line or environment names `text` (the demo's work directory)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        for what in ("cmdline", "environ"):
            try:
                with open(f"/proc/{pid}/{what}", "rb") as f:
                    if text.encode() in f.read():
                        found.append(int(pid))
                        break
            except OSError:
                pass
    return found


def check_left_nothing(out):
    work = re.search(r"^work directory (\S+)", out, re.M)
    pids = re.search(r"^pids: (.*)$", out, re.M)
    if not work or not pids:
        fail(f"the demo did not say its work directory and pids:\n{out}")
    work = work.group(1)
    if os.path.exists(work):
        fail(f"{work} is still there")
    left = [int(p) for p in re.findall(r" (\d+)(?:,|$)", pids.group(1)) if os.path.exists(f"/proc/{p}")]
    left += processes_mentioning(work)
    if left:
        fail(f"processes left running: {sorted(set(left))}")
    for url in re.findall(r"http://127\.0\.0\.1:(\d+)", out):
        if not port_closed(int(url)):
            fail(f"port {url} still accepts connections")


def run(args, out_dir, duration, interrupt_after=None):
    """The demo's output; with interrupt_after, a SIGINT to its process group (what a Ctrl-C in
    the terminal sends) that many seconds after its first progress line."""
    cmd = [sys.executable, os.path.join(args.source, "demo", "run.py"), "--duration", str(duration),
           "--build-dir", args.build_dir, "--out", out_dir, "--prometheus-port", "0"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines = []
    running = threading.Event()

    def read():
        for line in p.stdout:
            lines.append(line)
            if "allocations:" in line:
                running.set()
    reader = threading.Thread(target=read)
    reader.start()
    if interrupt_after is not None and running.wait(timeout=90):
        time.sleep(interrupt_after)
        os.killpg(p.pid, signal.SIGINT)
    try:
        p.wait(timeout=150)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        reader.join()
        fail("the demo did not finish:\n" + "".join(lines))
    reader.join()
    out = "".join(lines)
    print(out)
    if p.returncode != 0:
        fail(f"the demo exited {p.returncode}")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--build-dir", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hakmem-demo-test-") as out_dir:
        out = run(args, out_dir, 20)
        for expected in ("hakmemctl compare", "refill-path hit rates", "HAKMEM_PROFILE",
                         "hakmem:fragmentation_ratio", "config/grafana/provisioning", "hakmem-demo.png"):
            if expected not in out:
                fail(f"the report lacks {expected!r}")
        if not re.search(r"\[\s*10/20 s\] allocations: larson balanced [0-9.]+[kM]?/s", out):
            fail("no progress line with allocation rates")
        check_png(os.path.join(out_dir, "hakmem-demo.png"))
        check_left_nothing(out)
        print("PASS the demo ran 20 s, drew its chart and left nothing behind")

        os.remove(os.path.join(out_dir, "hakmem-demo.png"))
        out = run(args, out_dir, 120, interrupt_after=12)
        if "interrupted after" not in out:
            fail("the Ctrl-C did not end the run early")
        check_png(os.path.join(out_dir, "hakmem-demo.png"))
        check_left_nothing(out)
        print("PASS stopped by Ctrl-C, it reported, drew its chart and left nothing behind")


if __name__ == "__main__":
    main()
