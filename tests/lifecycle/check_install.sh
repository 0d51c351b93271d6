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
# With the daemon: the dashboards where config/grafana's provider looks (<prefix>/share), the
# rules beside the Prometheus config that loads them, the profiles.
if [ -e "$prefix/sbin/hakmemd" ]; then
  share=$prefix/share/hakmem
  for f in dashboards/hakmem-process.json dashboards/hakmem-compare.json dashboards/hakmem-host.json \
           prometheus.yml prometheus/rules/hakmem-recording.yml prometheus/rules/hakmem-alerts.yml \
           grafana/provisioning/dashboards/hakmem.yml grafana/provisioning/datasources/hakmem.yml \
           profiles/low-memory.env; do
    [ -e "$share/$f" ] || { echo "FAIL: $share/$f not installed"; exit 1; }
  done
  [ ! -e "$share/dashboards/generator" ] || { echo "FAIL: the generator was installed"; exit 1; }
  grep -q "path: $share/dashboards$" "$share/grafana/provisioning/dashboards/hakmem.yml" ||
    { echo "FAIL: the dashboards provider does not point at the installed dashboards"; exit 1; }
  # The unit and the config, written for the prefix installed to (the packages: /usr, /etc).
  grep -q "^ExecStart=$prefix/sbin/hakmemd --config $prefix/etc/hakmemd/hakmemd.json$" \
    "$prefix/lib/systemd/system/hakmemd.service" || { echo "FAIL: the installed unit's paths"; exit 1; }
  "$prefix/sbin/hakmemd" --check-config "$prefix/etc/hakmemd/hakmemd.json" >/dev/null ||
    { echo "FAIL: the installed hakmemd.json"; exit 1; }
  promtool check config "$share/prometheus.yml" >/dev/null || { echo "FAIL: the installed prometheus.yml"; exit 1; }
fi
echo "ok install"
