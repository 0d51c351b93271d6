#!/usr/bin/env python3
"""Self-test of check_syscalls.py, on two objects it compiles into a temporary directory.

os/door.cc calls open(): it is under os/, so allowed. leak.cc calls open() too, which must be
the one violation reported; it also calls os::door() (a C++ name another object defines) and
memset() (on the ALLOWED list), which must not be. Usage: check_syscalls_selftest.py [--cxx C++]
"""
import argparse
import os
import subprocess
import sys
import tempfile

CHECKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_syscalls.py")
SOURCES = {
    "os/door.cc": """
#include <fcntl.h>
namespace os { int door(const char* path) { return open(path, O_RDONLY); } }
""",
    "leak.cc": """
#include <fcntl.h>
#include <string.h>
namespace os { int door(const char* path); }
int leak(const char* path, char* buf, unsigned long n) {
  memset(buf, 0, n);
  return os::door(path) + open(path, O_RDONLY);
}
""",
}
EXPECTED = ["objs/leak.cc.o: undefined symbol open (a system call outside src/os/)"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cxx", default="c++", help="the compiler (default: c++)")
    cxx = ap.parse_args().cxx
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        objs = os.path.join(tmp, "objs")
        for name, text in SOURCES.items():
            src = os.path.join(tmp, "src", name)
            os.makedirs(os.path.dirname(src), exist_ok=True)
            os.makedirs(os.path.dirname(os.path.join(objs, name)), exist_ok=True)
            with open(src, "w") as f:
                f.write(text)
            subprocess.run([cxx, "-O0", "-fPIC", "-c", src, "-o", os.path.join(objs, name + ".o")],
                           check=True)
        # The test means something only if leak.cc.o does reference all three names.
        refs = subprocess.run(["nm", "-u", os.path.join(objs, "leak.cc.o")],
                              capture_output=True, text=True, check=True).stdout
        for name in ("open", "memset", "_ZN2os4doorEPKc"):
            if name not in refs:
                failures.append(f"leak.cc.o does not reference {name}; the test proves nothing")
        p = subprocess.run([sys.executable, CHECKER, "--objects", objs],
                           capture_output=True, text=True)
    print(p.stdout + p.stderr, end="")
    got = [l for l in p.stdout.splitlines() if not l.startswith("check_syscalls:")]
    if p.returncode != 1:
        failures.append(f"exit {p.returncode}, expected 1")
    if got != EXPECTED:
        failures.append(f"reported {got}, expected {EXPECTED}")
    for f in failures:
        print(f"FAIL {f}")
    print("check_syscalls_selftest:", "FAILED" if failures else "ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
