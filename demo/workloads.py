"""The demo's workloads: real programs under LD_PRELOAD=libhakmem.so, each publishing its
telemetry segment in the stack's directory, one of each per profile so that two settings run
side by side:
  - larson, the Larson server benchmark (tests/bench/larson.cc): threads freeing and
    allocating 8-128 byte blocks, some handed between threads;
  - python3 (Debian's) running demo/churn.py: an in-memory SQLite database and a dict cache,
    with PYTHONMALLOC=malloc so that CPython's objects come from the allocator itself."""
import os
import subprocess
import sys

from stack import stop_process, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))


class Workload:
    """One preloaded program. `name` is what the demo calls it (e.g. "larson balanced")."""

    def __init__(self, name, kind, profile, argv, env, stack):
        self.name, self.kind, self.profile = name, kind, profile
        self.log_path = os.path.join(stack.dir, f"{name.replace(' ', '-')}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(argv, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self.pid = self.proc.pid
        segment = os.path.join(stack.segments, f"hakmem.{self.pid}")
        wait_until(lambda: os.path.exists(segment), f"{name} to publish its segment", 15,
                   alive=lambda: self.proc.poll() is None)

    def stop(self):
        stop_process(self.proc)
        self.log.close()


def start_all(stack, build_dir, profiles, seconds, larson_threads=1):
    """Both workloads under each profile, in the order larson A, larson B, python A, python B."""
    lib = os.path.join(build_dir, "src", "libhakmem.so")
    larson = os.path.join(build_dir, "tests", "bench", "larson")
    for path in (lib, larson):
        if not os.path.exists(path):
            raise RuntimeError(f"{path} is missing: build the release preset first (scripts/demo.sh does)")
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    # Larson runs for its first argument in seconds: longer than the demo, which stops it.
    runs = [("larson", [larson, str(int(seconds) + 120), "8", "128", "1024", "1", "12345", str(larson_threads)], {}),
            ("python3", [python, os.path.join(HERE, "churn.py"), "--seconds", str(int(seconds) + 120)],
             {"PYTHONMALLOC": "malloc"})]
    out = []
    for kind, argv, extra in runs:
        for profile in profiles:
            env = dict(os.environ, LD_PRELOAD=lib, HAKMEM_STATS_DIR=stack.segments, HAKMEM_PROFILE=profile, **extra)
            env.pop("HAKMEM_STATS_PRINT", None)
            out.append(stack.add(Workload(f"{kind} {profile}", kind, profile, argv, env, stack)))
    return out
