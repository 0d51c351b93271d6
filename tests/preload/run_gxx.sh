#!/usr/bin/env bash
# Preload test: g++ (driver, cc1plus and as, all under the preload) compiling
# gxx_workload.cc at -O2 must produce a byte-identical object file under HAKMEM.
# -frandom-seed pins the one random input GCC has; the source path is the same relative
# path in both runs and there is no -g, so no directory names reach the object.
# Usage: run_gxx.sh /path/to/libhakmem.so
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SOURCE=$(realpath "$(dirname "${BASH_SOURCE[0]}")/gxx_workload.cc")
preload_setup gxx "${1:-}"
preload_require g++ as sha256sum
cp "$SOURCE" tu.cc

workload() {
  mkdir tmp
  TMPDIR=$PWD/tmp "${RUN[@]}" g++ -std=c++20 -O2 -frandom-seed=hakmem -c ../tu.cc -o tu.o
  sha256sum tu.o
}

preload_run_both
cmp base/tu.o hakmem/tu.o || preload_die "object files differ"
# g++, cc1plus and as; cc1plus alone makes ~3.6 M allocations on glibc.
preload_check_stats 500000 3
preload_pass
