#!/usr/bin/env python3
"""Self-test of check_layers.py, on the tiny tree fixture/ (see fixture/src/README.md).

The fixture holds exactly four violations, one of each kind the checker exists for; the
checker must report those four, at those lines, and exit 1. The clean variant is the fixture
with each `// violation:` line dropped (and the file whose first line is one, deleted); on it
the checker must report nothing and exit 0. A failure names what was expected and what came.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, "check_layers.py")
FIXTURE = os.path.join(HERE, "fixture")
EXPECTED = {
    "src/base/log.h:4": "upward include",
    "src/left/table.cc:3": "peer include",
    "src/left/lex.cc:2": "include cycle",
    "src/stray.cc:1": "in no layer",
}
MARK = "// violation:"


def run(root, *extra):
    p = subprocess.run([sys.executable, CHECKER, "--root", root, *extra],
                       capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def violations(out):
    return {m.group(1): m.group(2) for m in re.finditer(r"^(\S+:\d+): (.*)$", out, re.M)}


def clean_copy(dst):
    shutil.copytree(FIXTURE, dst)
    for d, _, names in os.walk(dst):
        for name in names:
            path = os.path.join(d, name)
            with open(path) as f:
                lines = f.readlines()
            if lines and MARK in lines[0]:
                os.remove(path)
            else:
                with open(path, "w") as f:
                    f.writelines(l for l in lines if MARK not in l)


def main():
    failures = []
    rc, out = run(FIXTURE)
    got = violations(out)
    if rc != 1:
        failures.append(f"fixture: exit {rc}, expected 1")
    if set(got) != set(EXPECTED):
        failures.append(f"fixture: reported {sorted(got)}, expected {sorted(EXPECTED)}")
    for where, kind in EXPECTED.items():
        if where in got and not got[where].startswith(kind):
            failures.append(f"fixture: {where} reported as {got[where]!r}, expected {kind!r}")
    if "15 quoted includes checked" not in out:
        failures.append("fixture: the summary does not count the 15 quoted includes")
    if "src/stray.cc: (no layer)" not in run(FIXTURE, "--list")[1]:
        failures.append("fixture: --list does not show src/stray.cc as in no layer")

    with tempfile.TemporaryDirectory() as tmp:
        clean = os.path.join(tmp, "clean")
        clean_copy(clean)
        rc_clean, out_clean = run(clean)
    if rc_clean != 0 or violations(out_clean):
        failures.append(f"clean variant: exit {rc_clean}, expected 0 and no violation")

    print(out, end="")
    print(out_clean, end="")
    for f in failures:
        print(f"FAIL {f}")
    print("check_layers_selftest:", "FAILED" if failures else "ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
