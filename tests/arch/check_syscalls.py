#!/usr/bin/env python3
"""Check that src/os/ is the only code of the allocator that makes system calls.

What it checks. The built objects of the allocator (CMake's hakmem_objects and hakmem_entry),
by their symbols: `nm --undefined-only` of each object lists what it calls outside itself. An
object compiled from a source under os/ may call anything. Every other object may reference
only symbols that the allocator's objects define themselves (`nm --defined-only` of them all,
global symbols; C++ names are compared mangled) and the few libc and compiler-runtime names of
ALLOWED below, each of which makes no system call. Anything else counts as a system call.

Why. The kernel door is then one small file set with one contract: it counts its own calls,
it is where a seccomp profile, a test double or a port starts, and a system call cannot hide
on a fast path. Checking the objects, not the sources, also catches calls that headers inline.

Arguments. `--objects PATH...`: object files, or directories searched for `*.o`. An object's
source path is what follows CMake's `<target>.dir/` in its path (`os/os.cc.o` -> `os/os.cc`),
else its path under the directory given. The ctest passes $<TARGET_OBJECTS:...>, the exact
list of the current build (no stale objects of moved sources).

Reading a failure. `hakmem_objects.dir/stats.cc.o: undefined symbol open (a system call outside
src/os/)`: that source calls open(); move the call behind a function of src/os/ (and call
that). If the name provably makes no system call, add it to ALLOWED with the reason. A C++
name is printed demangled too: an allocator object is missing from the list, or the code uses
libstdc++, which the allocator does not link. Exit status: 0 clean, 1 violations, 2 no
objects or nm failed.
"""
import argparse
import os
import subprocess
import sys

# Called by allocator code outside os/, each makes no system call.
ALLOWED = {
    "_GLOBAL_OFFSET_TABLE_": "the linker's GOT: an address, not a function",
    "__errno_location": "returns the address of this thread's errno: a TLS address",
    "__tls_get_addr": "the loader's lookup of a thread's TLS block: table reads",
    "__stack_chk_fail": "emitted by the compiler on a smashed stack, no source line to route",
    "environ": "the environment array: a data object, reading it is a load",
    "getauxval": "reads the auxiliary vector the loader saved at start-up",
    "memcpy": "a byte loop (the compiler emits it too)",
    "memmove": "a byte loop (the compiler emits it too)",
    "memset": "a byte loop (the compiler emits it too)",
    "memcmp": "a byte loop (the compiler emits it too)",
    "memchr": "a byte loop",
    "strlen": "a byte loop",
    "strnlen": "a byte loop",
    "strcmp": "a byte loop",
    "strncmp": "a byte loop",
    "strchr": "a byte loop",
    "strrchr": "a byte loop",
    "strncpy": "a byte loop",
    "strerrordesc_np": "a lookup in glibc's static table (strerror would touch the locale)",
    "sigemptyset": "bit operations on a sigset_t in memory",
    "sigfillset": "bit operations on a sigset_t in memory",
    "sigaddset": "bit operations on a sigset_t in memory",
    "sigdelset": "bit operations on a sigset_t in memory",
}
# Deliberately not allowed:
#   abort          raises SIGABRT: rt_sigprocmask, tgkill, sigaction; code that gives up goes
#                  through os/, where the crash log and the counting see it too.
#   clock_gettime  the vDSO answers CLOCK_MONOTONIC without entering the kernel, but not every
#                  clock nor every clocksource (a VM's, the CPU-time clocks fall back to the
#                  system call); and its cost is what os/ measures.
#   pthread_*      take libc's internal locks (a futex when contended), start threads, change
#                  signal masks.
#   __cxa_guard_*  a futex when contended; the allocator is built -fno-threadsafe-statics, so
#                  a guard means that flag was lost.


def fatal(message):
    print(f"check_syscalls: {message}", file=sys.stderr)
    sys.exit(2)


def objects(paths):
    """(display name, source path, file) of each object file named or found under `paths`."""
    found = []
    for arg in paths:
        if os.path.isdir(arg):
            files = sorted(os.path.join(d, n) for d, _, names in os.walk(arg)
                           for n in names if n.endswith(".o"))
            if not files:
                fatal(f"{arg}: no object files (is the build done?)")
            top = os.path.basename(os.path.normpath(arg))
            rel = [os.path.join(top, os.path.relpath(f, arg)) for f in files]
        elif os.path.isfile(arg):
            files, rel = [arg], [arg]
        else:
            fatal(f"{arg}: no such object file or directory (is the build done?)")
        for f, r in zip(files, rel):
            parts = os.path.normpath(r).split(os.sep)
            # The last `<target>.dir` component, else the directory given, heads the source path.
            heads = [i for i, p in enumerate(parts) if p.endswith(".dir")]
            cut = heads[-1] if heads else (0 if os.path.isdir(arg) else -1)
            source = os.path.splitext("/".join(parts[cut + 1:]))[0]
            found.append(("/".join(parts[max(cut, 0):]), source, f))
    return found


def nm(path, *flags):
    """(name, type letter) of each symbol `nm -P` lists."""
    p = subprocess.run(["nm", "-P", *flags, path], capture_output=True, text=True)
    if p.returncode != 0:
        fatal(f"nm {' '.join(flags)} {path}: {p.stderr.strip()}")
    return [tuple(line.split()[:2]) for line in p.stdout.splitlines() if line.strip()]


def demangle(names):
    p = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True)
    out = p.stdout.splitlines() if p.returncode == 0 else []
    return dict(zip(names, out)) if len(out) == len(names) else {}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--objects", nargs="+", required=True, metavar="PATH",
                    help="object files, or directories searched for *.o")
    objs = objects(ap.parse_args().objects)

    # A lowercase type letter is a local symbol, which resolves no other object's reference.
    defined = {name for _, _, f in objs for name, kind in nm(f, "--defined-only")
               if kind.isupper() or kind in "uvi"}
    violations, checked, door = [], 0, 0
    for shown, source, f in objs:
        if source.startswith("os/"):
            door += 1
            continue
        for name, _ in nm(f, "--undefined-only"):
            checked += 1
            if name not in defined and name not in ALLOWED:
                violations.append((shown, name))

    readable = demangle(sorted({n for _, n in violations if n.startswith("_Z")}))
    for shown, name in violations:
        if name.startswith("_Z"):  # C++: not a libc call, a missing object or libstdc++
            why = f"{readable.get(name, name)}: C++ that no allocator object defines"
        else:
            why = "a system call outside src/os/"
        print(f"{shown}: undefined symbol {name} ({why})")
    print(f"check_syscalls: {len(objs)} objects ({door} under os/, not checked), {checked} "
          f"undefined references checked: {len(violations)} violation(s)")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
