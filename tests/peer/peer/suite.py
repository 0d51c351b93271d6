"""What a suite hands the driver: cases, each a program to build and an argv to run, with the
environment its project runs it with, and the skip (if any) with its kind and reason."""
import subprocess
from concurrent.futures import ThreadPoolExecutor


SKIP_KINDS = ("internal", "differs", "static", "unbuildable")
# A case the driver itself sets aside: it uses the other project's own API, not the standard one.
OTHER_API = "other-api"


class Skip:
    def __init__(self, kind, reason):
        self.kind = kind       # one of SKIP_KINDS (see glibc/skip.txt), or OTHER_API
        self.reason = reason


def read_skips(path):
    """{case: Skip} from a skip file: CASE KIND REASON per line, # comments."""
    skips = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            fields = line.split(None, 2)
            if len(fields) != 3 or fields[1] not in SKIP_KINDS:
                raise SystemExit("%s:%d: expected CASE %s REASON" % (path, n, "|".join(SKIP_KINDS)))
            if fields[0] in skips:
                raise SystemExit("%s:%d: %s is listed twice" % (path, n, fields[0]))
            skips[fields[0]] = Skip(fields[1], fields[2])
    return skips


class Case:
    def __init__(self, suite, name, argv, env=None, glibc_preload=None, skip=None, timeout=120,
                 judge=None):
        self.suite = suite
        self.name = name
        self.argv = argv
        self.env = env or {}
        self.glibc_preload = glibc_preload   # glibc's own debugging library, glibc's run only
        self.skip = skip
        self.timeout = timeout
        self.judge = judge                   # (returncode, output) -> (verdict, detail)
        self.build = None                    # the compiler command, if it needs one
        self.build_error = None
        self.results = {}                    # allocator name -> execute.Outcome


def build_in_parallel(cases, jobs, log):
    def one(c):
        if c.build is None:
            return
        r = subprocess.run(c.build, capture_output=True, text=True, check=False)
        if r.returncode != 0:
            lines = [l for l in r.stderr.splitlines() if "error" in l] or r.stderr.splitlines()
            c.build_error = (lines[0] if lines else "exit %d" % r.returncode).strip()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(one, cases))
    built = sum(1 for c in cases if c.build_error is None)
    log("built %d of %d programs" % (built, len(cases)))
