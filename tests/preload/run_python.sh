#!/usr/bin/env bash
# Preload test: CPython building millions of objects in threads (workload_threads.py) must
# print the same digests under HAKMEM as on glibc. PYTHONMALLOC=malloc routes every object
# through malloc (pymalloc would otherwise serve small objects from its own arenas).
# Usage: run_python.sh /path/to/libhakmem.so
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SCRIPT=$(realpath "$(dirname "${BASH_SOURCE[0]}")/workload_threads.py")
preload_setup python "${1:-}"

# Debian's interpreter, not a pyenv shim (a shell script that would run under the preload
# too and whose interpreter varies by user).
PYTHON=/usr/bin/python3
[[ -x $PYTHON ]] || { preload_require python3; PYTHON=$(command -v python3); }
# -s: no user site dir. Not -I/-E: they would drop PYTHONMALLOC and PYTHONHASHSEED.
unset PYTHONPATH PYTHONHOME PYTHONSTARTUP PYTHONDONTWRITEBYTECODE
export PYTHONMALLOC=malloc

workload() {
  "${RUN[@]}" "$PYTHON" -s "$SCRIPT"
}

preload_run_both
# The workload makes ~15 M objects (measured on glibc); any real interposition serves millions.
preload_check_stats 5000000 1
preload_pass
