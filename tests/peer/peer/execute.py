"""Running one case: its own process group and a timeout, so a hung case (and whatever it
forked) is killed and reported, not waited for."""
import os
import signal
import subprocess
import time


class Outcome:
    """pass, fail, unsupported (exit 77) or timeout; with seconds and the output's tail."""

    def __init__(self, verdict, seconds, detail, output):
        self.verdict = verdict
        self.seconds = seconds
        self.detail = detail
        self.output = output


def run(argv, env, cwd, timeout, judge=None):
    """judge(returncode, output) -> (verdict, detail) overrides the exit-status rule."""
    start = time.monotonic()
    p = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
    if timed_out:
        _kill_group(p.pid)
        out, _ = p.communicate()
    else:
        _kill_group(p.pid)   # anything the case left running
    seconds = time.monotonic() - start
    text = out.decode("utf-8", "replace")
    if timed_out:
        return Outcome("timeout", seconds, "killed after %d s" % timeout, text)
    if judge is not None:
        verdict, detail = judge(p.returncode, text)
    elif p.returncode == 0:
        verdict, detail = "pass", ""
    elif p.returncode == 77:
        verdict, detail = "unsupported", "exit 77"
    elif p.returncode < 0:
        verdict, detail = "fail", "killed by %s" % signal.Signals(-p.returncode).name
    else:
        verdict, detail = "fail", "exit %d" % p.returncode
    return Outcome(verdict, seconds, detail, text)


def _kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
