"""mimalloc's tests (test/test-stress.c and test/test-api.c from Debian's mimalloc source
package) on the standard API.

test-stress.c has its own switch for that (USE_STD_MALLOC); it runs at several thread counts
and loads. test-api.c's cases call mimalloc's mi_* names: a case is taken when every mi_ name it
uses is mimalloc's spelling of a standard function (mi_malloc is malloc, and so on: MI_STANDARD
below); the others (aligned, heap, STL allocator APIs) are listed as mimalloc-only and not run.
Each taken case becomes its own process (the generated program runs the case named on its
command line), so a crash loses one case, not the rest.
"""
import os
import re
import subprocess

from . import sources
from .suite import OTHER_API, Case, Skip, build_in_parallel, read_skips

SKIP_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mimalloc", "skip.txt")

# mimalloc's names for the standard functions (mimalloc.h: "standard API" section, and the
# posix/glibc extensions it mirrors).
MI_STANDARD = {
    "mi_malloc": "malloc", "mi_calloc": "calloc", "mi_realloc": "realloc", "mi_free": "free",
    "mi_usable_size": "malloc_usable_size", "mi_posix_memalign": "posix_memalign",
    "mi_memalign": "memalign", "mi_aligned_alloc": "aligned_alloc", "mi_valloc": "valloc",
    "mi_pvalloc": "pvalloc", "mi_reallocarray": "reallocarray", "mi_strdup": "strdup",
    "mi_strndup": "strndup", "mi_realpath": "realpath",
}

# (name, threads, scale %, iterations): one thread, as many as cores, and more than cores, at
# heavy and light loads; the program's default thread count (32) last, at a tenth of its
# default load (25 %, 50 iterations: a minute here, most of the suite's budget).
STRESS_RUNS = [
    ("test-stress-T1", 1, 100, 10),
    ("test-stress-T2", 2, 100, 20),
    ("test-stress-T4", 4, 50, 20),
    ("test-stress-T8", 8, 25, 20),
    ("test-stress-T32", 32, 10, 10),
]


def prepare(work, cache, jobs, log):
    fetched = sources.fetch("mimalloc", cache, log)
    src = os.path.join(work, "mimalloc-src")
    if not os.path.isdir(os.path.join(src, "test")):
        sources.extract(fetched, ["test/test-stress.c", "test/test-api.c", "test/testhelper.h"], src)
    bin_dir = os.path.join(work, "mimalloc-bin")
    os.makedirs(bin_dir, exist_ok=True)
    test = os.path.join(src, "test")
    cflags = ["-O2", "-g", "-fno-builtin", "-w", "-pthread"]

    stress_bin = os.path.join(bin_dir, "test-stress")
    cases = []
    for i, (name, threads, scale, iters) in enumerate(STRESS_RUNS):
        c = Case("mimalloc", name, [stress_bin, str(threads), str(scale), str(iters)],
                 timeout=180, judge=_stress_judge)
        if i == 0:
            c.build = ["gcc", "-std=gnu11", "-DUSE_STD_MALLOC"] + cflags + ["-o", stress_bin,
                                                                         os.path.join(test, "test-stress.c")]
        cases.append(c)

    api_cases, excluded = _api_cases(os.path.join(test, "test-api.c"))
    api_src = os.path.join(bin_dir, "test-api-std.c")
    with open(api_src, "w") as f:
        f.write(_api_program(api_cases))
    api_bin = os.path.join(bin_dir, "test-api-std")
    skips = read_skips(SKIP_FILE)
    for i, (name, _) in enumerate(api_cases):
        c = Case("mimalloc", "test-api:" + name, [api_bin, name], timeout=60, judge=_api_judge,
                 skip=skips.pop("test-api:" + name, None))
        if i == 0:
            c.build = ["gcc", "-std=gnu11", "-D_GNU_SOURCE"] + cflags + ["-I", test, "-o", api_bin, api_src]
        cases.append(c)
    for name, names in excluded:
        cases.append(Case("mimalloc", "test-api:" + name, [], skip=Skip(
            OTHER_API, "mimalloc's own API: " + ", ".join(sorted(names)))))
    if skips:
        raise SystemExit("mimalloc/skip.txt names cases test-api.c has not (or not on the "
                         "standard API): %s" % ", ".join(sorted(skips)))
    build_in_parallel([c for c in cases if c.build is not None], jobs, log)
    # One build serves several cases: its error is theirs.
    for group in (cases[:len(STRESS_RUNS)], [c for c in cases if c.argv and c.argv[0] == api_bin]):
        err = next((c.build_error for c in group if c.build_error), None)
        for c in group:
            c.build_error = err
    return cases


def _stress_judge(rc, out):
    if rc != 0:
        return "fail", "exit %d" % rc if rc > 0 else "killed by signal %d" % -rc
    if "memory corruption" in out:
        return "fail", "memory corruption reported"
    return "pass", ""


def _api_judge(rc, out):
    if "FAILED" in out:
        return "fail", out[out.index("FAILED"):].splitlines()[0].strip()
    if rc != 0:
        return "fail", "exit %d" % rc if rc > 0 else "killed by signal %d" % -rc
    if "ok." not in out:
        return "fail", "the case did not run"
    return "pass", ""


def _block_end(text, open_brace):
    depth = 0
    for i in range(open_brace, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    raise SystemExit("test-api.c: unbalanced braces after offset %d" % open_brace)


def _api_cases(path):
    """[(name, C statement running the case)], [(name, mimalloc-only names it uses)]."""
    text = open(path).read()
    helpers = {}
    for m in re.finditer(r"^bool (test_\w+)\(\s*(?:void)?\s*\)\s*\{", text, re.M):
        helpers[m.group(1)] = text[m.start():_block_end(text, m.end() - 1) + 1]
    main = re.search(r"^int main\(void\)\s*\{", text, re.M)
    if main is None:
        raise SystemExit("test-api.c: no main")
    body = text[main.end():_block_end(text, main.end() - 1)]
    found = []
    for m in re.finditer(r'CHECK_BODY\("([^"]+)"\)\s*\{', body):
        end = _block_end(body, m.end() - 1)
        found.append((m.group(1), body[m.start():end + 1] + ";"))
    for m in re.finditer(r'CHECK\("([^"]+)",\s*(.*?)\);', body):
        found.append((m.group(1), m.group(0)))
    if not found:
        raise SystemExit("test-api.c: no CHECK or CHECK_BODY cases found")
    taken, excluded = [], []
    for name, stmt in found:
        used = stmt + "".join(h for n, h in helpers.items() if re.search(r"\b%s\b" % n, stmt))
        foreign = set(re.findall(r"\b(mi_\w+|MI_\w+)\b", used)) - set(MI_STANDARD)
        if foreign:
            excluded.append((name, foreign))
        else:
            taken.append((name, stmt))
    return taken, excluded


def _api_program(cases):
    lines = [
        "/* Generated by tests/peer/peer/mimalloc_suite.py from mimalloc's test/test-api.c: the",
        "   cases that use only the standard API, mimalloc's mi_ names mapped to it; argv[1] names",
        "   the case to run. */",
        "#include <errno.h>", "#include <malloc.h>", "#include <stdbool.h>", "#include <stdint.h>",
        "#include <stdio.h>", "#include <stdlib.h>", "#include <string.h>", "#include <unistd.h>",
        '#include "testhelper.h"',
    ]
    lines += ["#define %s %s" % (k, v) for k, v in sorted(MI_STANDARD.items())]
    lines += ["int main(int argc, char** argv) {",
              "  if (argc != 2) { fprintf(stderr, \"usage: %s CASE\\n\", argv[0]); return 2; }",
              "  const char* only = argv[1];"]
    for name, stmt in cases:
        lines.append('  if (strcmp(only, "%s") == 0) {' % name)
        lines.append("    " + stmt.replace("\n", "\n    "))
        lines.append("    return print_test_summary();")
        lines.append("  }")
    lines += ['  fprintf(stderr, "no case %s\\n", only);', "  return 2;", "}", ""]
    return "\n".join(lines)
