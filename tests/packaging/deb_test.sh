#!/usr/bin/env bash
# deb_test.sh BUILD_DIR: the Debian packages as an operator gets them. cpack -G DEB builds
# hakmem and hakmemd from the release tree; dpkg -i installs them on this machine; then the
# files must be where the README says, /etc/hakmemd/hakmemd.json a conffile, the installed
# config valid for the installed hakmemd, the unit valid for systemd-analyze, the installed
# library preloadable by name into a real program (sqlite3) and usable through pkg-config;
# dpkg --purge must take everything away again. Needs root (CI runs as root). It refuses to
# run when a hakmem package is installed already (it would replace and then purge it), and
# purges what it installed however it ends.
set -euo pipefail
build=$(cd "$1" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "dpkg -i needs root (run the tests as root, as CI does)"
for p in hakmem hakmemd; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    fail "refusing to run: package $p is installed already (dpkg --purge $p first)"
  fi
done

work=$(mktemp -d)
installed=0
cleanup() {
  [ "$installed" -eq 1 ] && dpkg --purge hakmemd hakmem >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

(cd "$build" && cpack -G DEB -B "$work/deb" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack -G DEB"; }
ls "$work"/deb/hakmem_*_amd64.deb "$work"/deb/hakmemd_*_amd64.deb >/dev/null || fail "cpack made no hakmem/hakmemd .deb"
installed=1
dpkg -i "$work"/deb/hakmem_*_amd64.deb "$work"/deb/hakmemd_*_amd64.deb >"$work/dpkg.log" 2>&1 ||
  { cat "$work/dpkg.log"; fail "dpkg -i"; }

for f in /usr/lib/libhakmem.so.0 /usr/lib/libhakmem.a /usr/lib/pkgconfig/hakmem.pc /usr/include/hakmem/hakmem.h \
         /usr/include/hakmem/telemetry_abi.h /usr/share/doc/hakmem/copyright \
         /usr/sbin/hakmemd /usr/bin/hakmemctl /usr/lib/systemd/system/hakmemd.service /etc/hakmemd/hakmemd.json \
         /usr/share/doc/hakmemd/copyright /usr/share/hakmem/prometheus.yml \
         /usr/share/hakmem/prometheus/rules/hakmem-recording.yml /usr/share/hakmem/prometheus/rules/hakmem-alerts.yml \
         /usr/share/hakmem/dashboards/hakmem-process.json /usr/share/hakmem/dashboards/hakmem-compare.json \
         /usr/share/hakmem/dashboards/hakmem-host.json /usr/share/hakmem/grafana/provisioning/datasources/hakmem.yml \
         /usr/share/hakmem/grafana/provisioning/dashboards/hakmem.yml /usr/share/hakmem/profiles/balanced.env; do
  [ -e "$f" ] || fail "$f is not installed"
done
dpkg-query -W -f='${Conffiles}\n' hakmemd | grep -q "^ /etc/hakmemd/hakmemd.json " ||
  fail "/etc/hakmemd/hakmemd.json is not a conffile of hakmemd"
grep -q "path: /usr/share/hakmem/dashboards$" /usr/share/hakmem/grafana/provisioning/dashboards/hakmem.yml ||
  fail "the Grafana dashboards provider does not point at /usr/share/hakmem/dashboards"
grep -q "^ExecStart=/usr/sbin/hakmemd --config /etc/hakmemd/hakmemd.json$" /usr/lib/systemd/system/hakmemd.service ||
  fail "the unit does not start the installed hakmemd with the installed config"

/usr/sbin/hakmemd --check-config /etc/hakmemd/hakmemd.json >"$work/check.log" 2>&1 ||
  { cat "$work/check.log"; fail "hakmemd --check-config /etc/hakmemd/hakmemd.json"; }
systemd-analyze verify /usr/lib/systemd/system/hakmemd.service >"$work/verify.log" 2>&1 ||
  { cat "$work/verify.log"; fail "systemd-analyze verify hakmemd.service"; }
promtool check config /usr/share/hakmem/prometheus.yml >/dev/null || fail "promtool check config on the installed prometheus.yml"
/usr/bin/hakmemctl --version >/dev/null || fail "hakmemctl --version"

# The installed library, found by name as an operator would preload it, in a real program.
out=$(HAKMEM_STATS_PRINT=1 LD_PRELOAD=libhakmem.so.0 sqlite3 :memory: \
      "create table t(x); insert into t select randomblob(100) from generate_series(1, 5000); select count(*) from t;" 2>&1) ||
  { echo "$out"; fail "sqlite3 under the installed libhakmem.so.0"; }
echo "$out" | grep -q "^5000$" || { echo "$out"; fail "sqlite3 gave a wrong answer under the preload"; }
echo "$out" | grep -q "^hakmem\[[0-9]*\] summary: allocs=[1-9]" || { echo "$out"; fail "no HAKMEM summary: the preload did not take"; }
# And through pkg-config, linked against the installed library.
printf '#include <hakmem/hakmem.h>\nint main(void) { void* p = hak_malloc(10); int ok = hak_owns(p); hak_free(p); return ok ? 0 : 1; }\n' >"$work/t.c"
cc "$work/t.c" -o "$work/t" $(pkg-config --cflags --libs hakmem) || fail "building against the installed hakmem.pc"
"$work/t" || fail "a program linked via the installed hakmem.pc"

dpkg --purge hakmemd hakmem >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg --purge"; }
installed=0
for f in /usr/lib/libhakmem.so.0 /usr/sbin/hakmemd /usr/bin/hakmemctl /usr/lib/systemd/system/hakmemd.service \
         /etc/hakmemd /usr/share/hakmem /usr/include/hakmem; do
  [ ! -e "$f" ] || fail "$f is left after dpkg --purge"
done
echo "ok: packages built, installed, checked, preloaded and purged"
