"""glibc's malloc tests (malloc/tst-*.c and mallocbug.c from Debian's glibc source package),
built against the stand-in for glibc's support/ harness in tests/peer/glibc/shim."""
import glob
import os
import subprocess

from . import sources
from .suite import Case, build_in_parallel, read_skips

HERE = os.path.dirname(os.path.abspath(__file__))
SHIM = os.path.join(HERE, "..", "glibc", "shim")
SKIP_FILE = os.path.join(HERE, "..", "glibc", "skip.txt")
MALLOC_DEBUG = "/lib/x86_64-linux-gnu/libc_malloc_debug.so.0"

# Files of malloc/ that are parts of cases, not cases.
PARTS = {"tst-interpose-aux", "tst-interpose-aux-nothread", "tst-interpose-aux-thread",
         "tst-interpose-skeleton"}
# What glibc's malloc/Makefile links into a case beyond its own file.
EXTRA_SOURCES = {
    "tst-interpose-nothread": ["tst-interpose-aux-nothread.c"],
    "tst-interpose-thread": ["tst-interpose-aux-thread.c"],
    "tst-interpose-static-nothread": ["tst-interpose-aux-nothread.c"],
    "tst-interpose-static-thread": ["tst-interpose-aux-thread.c"],
}
# The environment glibc's malloc/Makefile gives a case (its tst-*-ENV). libc_malloc_debug.so is
# part of glibc's malloc: only the glibc run preloads it.
CASE_ENV = {
    "tst-malloc-check": ({"MALLOC_CHECK_": "3"}, True),
    "tst-malloc-usable": ({"MALLOC_CHECK_": "3"}, True),
    "tst-malloc-usable-tunables": ({"GLIBC_TUNABLES": "glibc.malloc.check=3"}, True),
    "tst-mxfast": ({"GLIBC_TUNABLES": "glibc.malloc.tcache_count=0:glibc.malloc.mxfast=0"}, False),
    "tst-mtrace": ({"MALLOC_TRACE": "{work}/tst-mtrace.mtrace"}, True),
}
# -fno-builtin: every malloc-family call reaches the allocator (GCC may otherwise drop an
# unused malloc/free pair, and a case would test nothing).
# -w: glibc's tests provoke warnings on purpose; but a function the shim lacks must not be
# declared implicitly (its pointer result would be cut to an int).
CFLAGS = ["-O2", "-g", "-std=gnu11", "-D_GNU_SOURCE", "-fno-builtin", "-w",
          "-Werror=implicit-function-declaration", "-pthread"]


def prepare(work, cache, jobs, log):
    fetched = sources.fetch("glibc", cache, log)
    src = os.path.join(work, "glibc-src")
    if not os.path.isdir(os.path.join(src, "malloc")):
        sources.extract(fetched, ["malloc/tst-", "malloc/mallocbug.c"], src)
    bin_dir = os.path.join(work, "glibc-bin")
    os.makedirs(bin_dir, exist_ok=True)
    support = _build_support(bin_dir)
    skips = read_skips(SKIP_FILE)

    names = sorted(os.path.basename(p)[:-2] for p in glob.glob(os.path.join(src, "malloc", "tst-*.c")))
    names.append("mallocbug")
    cases = []
    for name in names:
        if name in PARTS:
            continue
        env, debug = CASE_ENV.get(name, ({}, False))
        env = {k: v.format(work=work) for k, v in env.items()}
        c = Case("glibc", name, [os.path.join(bin_dir, name)], env,
                 glibc_preload=MALLOC_DEBUG if debug else None, skip=skips.pop(name, None))
        files = [os.path.join(src, "malloc", name + ".c")]
        files += [os.path.join(src, "malloc", e) for e in EXTRA_SOURCES.get(name, [])]
        static = ["-static"] if c.skip is not None and c.skip.kind == "static" else []
        c.build = ["gcc"] + CFLAGS + static + ["-I", os.path.join(SHIM, "include"), "-I", src,
                                               "-o", c.argv[0]] + files + [support]
        cases.append(c)
    if skips:
        raise SystemExit("glibc/skip.txt names cases the source has not: %s" % ", ".join(sorted(skips)))
    build_in_parallel([c for c in cases if c.skip is None or c.skip.kind != "unbuildable"], jobs, log)
    return cases


def _build_support(bin_dir):
    """libsupport.a from the shim's sources."""
    lib = os.path.join(bin_dir, "libsupport.a")
    objs = []
    for c in sorted(glob.glob(os.path.join(SHIM, "src", "*.c"))):
        o = os.path.join(bin_dir, "support-" + os.path.basename(c)[:-2] + ".o")
        subprocess.run(["gcc", "-O2", "-g", "-std=gnu11", "-D_GNU_SOURCE", "-Wall", "-Werror",
                        "-I", os.path.join(SHIM, "include"), "-c", "-o", o, c], check=True)
        objs.append(o)
    if os.path.exists(lib):
        os.unlink(lib)
    subprocess.run(["ar", "rcs", lib] + objs, check=True)
    return lib
