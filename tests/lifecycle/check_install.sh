#!/usr/bin/env bash
# check_install.sh BUILD_DIR: `cmake --install` into a scratch prefix puts the libraries, the
# headers and hakmem.pc where a Debian user looks for them, and pkg-config can use the result
# to build and link a program against libhakmem.
set -eu
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(ls -d "$prefix"/lib/*-linux-gnu 2>/dev/null || echo "$prefix/lib")
for f in "$libdir/libhakmem.so" "$libdir/libhakmem.a" "$libdir/pkgconfig/hakmem.pc" \
         "$prefix/include/hakmem/hakmem.h" "$prefix/include/hakmem/stats_names.h"; do
  [ -e "$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
export PKG_CONFIG_PATH=$libdir/pkgconfig
cat > "$prefix/t.c" <<'C'
#include <hakmem/hakmem.h>
#include <stdio.h>
int main(void) { void* p = hak_malloc(10); printf("%d\n", hak_owns(p)); hak_free(p); return 0; }
C
cc "$prefix/t.c" -o "$prefix/t" $(pkg-config --cflags --libs hakmem) -Wl,-rpath,"$libdir"
# Static too: the archive's malloc must replace libc's.
cc "$prefix/t.c" -o "$prefix/ts" $(pkg-config --cflags hakmem) -Wl,--whole-archive "$libdir/libhakmem.a" -Wl,--no-whole-archive -lpthread
nm "$prefix/ts" | grep -q ' T malloc$' || { echo "FAIL: static link did not take HAKMEM's malloc"; exit 1; }
[ "$("$prefix/t")" = 1 ] || { echo "FAIL: program linked via pkg-config did not run"; exit 1; }
echo "ok install"
