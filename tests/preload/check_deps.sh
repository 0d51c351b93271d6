#!/usr/bin/env bash
# Preload test: libhakmem.so must depend on nothing but libc and the dynamic loader.
# A NEEDED libstdc++, libgcc_s or libm would be loaded into every preloaded program and run
# its own constructors (which may allocate) before HAKMEM is ready; the allocator is built
# -fno-exceptions -fno-rtti with no heap-backed std types precisely so it needs none of them.
# Also checks that the library defines the malloc family it is meant to replace.
# Usage: check_deps.sh /path/to/libhakmem.so
set -euo pipefail

die() {
  echo "preload.check_deps: FAIL: $*" >&2
  exit 1
}

lib=${1:-}
[[ -n $lib ]] || die "usage: $0 /path/to/libhakmem.so"
[[ -f $lib ]] || die "library not found: $lib"
command -v readelf >/dev/null || die "readelf not found; install with: apt-get install -y binutils"

dynamic=$(readelf -d -W "$lib" 2>&1) || die "readelf -d failed: $dynamic"
grep -q '(NEEDED)' <<<"$dynamic" || grep -q 'Dynamic section' <<<"$dynamic" \
  || die "$lib has no dynamic section; is it a shared library?"

bad=()
while read -r needed; do
  case $needed in
    libc.so.6 | ld-linux*.so.[0-9] | ld64.so.[0-9]) ;;  # ld-linux-x86-64.so.2, -aarch64.so.1
    *) bad+=("$needed") ;;
  esac
done < <(sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' <<<"$dynamic")
((${#bad[@]} == 0)) || die "$lib needs ${bad[*]}; only libc.so.6 and the loader are allowed"

symbols=$(readelf --dyn-syms -W "$lib") || die "readelf --dyn-syms failed"
missing=()
for sym in malloc free calloc realloc posix_memalign aligned_alloc malloc_usable_size; do
  # Defined (section index not UND), global or weak, exported under the plain name or a version.
  awk -v s="$sym" '$8 ~ "^" s "(@.*)?$" && $7 != "UND" && ($5 == "GLOBAL" || $5 == "WEAK") { f = 1 }
                   END { exit !f }' <<<"$symbols" || missing+=("$sym")
done
((${#missing[@]} == 0)) || die "$lib does not export ${missing[*]}"

echo "preload.check_deps: OK ($(sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' <<<"$dynamic" | paste -s -d ' '))"
