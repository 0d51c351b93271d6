#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build HAKMEM and run all of its tests.
# Idempotent: apt-get runs only when a package is missing.
# The peers (jemalloc, mimalloc, tcmalloc) are always installed: tests/peer runs the cases it
# skips as glibc internals under them. --bench also installs the tools of the benchmark runner
# (tests/bench/compare): gnuplot, valgrind (callgrind) and /usr/bin/time. A deb-src entry is
# added when none exists (tests/peer fetches glibc's and mimalloc's sources).
set -euo pipefail

bench=0
for arg in "$@"; do
  case "$arg" in
    --bench) bench=1 ;;
    *) echo "usage: $0 [--bench]" >&2; exit 2 ;;
  esac
done

packages=(
  cmake ninja-build g++ pkg-config binutils       # build; readelf for the dependency check
  libgtest-dev googletest                         # unit tests
  nlohmann-json3-dev                              # hakmemctl's JSON (daemon/ctl)
  clang libclang-rt-dev                           # the fuzz preset: clang, libFuzzer, ASan/UBSan runtimes
  python3 git sqlite3 coreutils gawk              # real programs run under LD_PRELOAD
  libpython3.11-testsuite                         # CPython's own test_threading under the preload
  procps time                                     # ps, /usr/bin/time for RSS
  prometheus-cpp-dev libboost-dev nlohmann-json3-dev  # hakmemd: families and text, Asio, config
  prometheus curl                                 # e2e and the main job: promtool, a real server, scrapes
  gnuplot-nox fonts-dejavu-core                   # the main job's chart (demo/chart.py) and its font
  libbpf-dev bpftool libelf-dev zlib1g-dev        # bpf/: libbpf, skeletons (bpftool gen), its link deps
  util-linux libcap2-bin                          # eBPF tests: setpriv, unshare (privilege and mount namespace)
  dpkg-dev systemd                                # packages: dpkg-shlibdeps for cpack, systemd-analyze verify
  debian-archive-keyring                          # tests/peer: apt-get source of glibc and mimalloc
  libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4  # tests/peer: the peers that check each skip
)
if [ "$bench" -eq 1 ]; then
  packages+=(
    gnuplot-nox valgrind time                         # chart, callgrind, peak RSS
  )
fi

if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
need_update=0

# tests/peer fetches glibc's and mimalloc's sources with apt-get source, which needs a deb-src
# entry; Debian 12's default sources have none. Added once, for the release in use.
if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  echo "adding a deb-src entry for $codename (tests/peer: apt-get source glibc mimalloc)"
  printf '%s\n' 'Types: deb-src' 'URIs: http://deb.debian.org/debian' \
    "Suites: $codename $codename-updates" 'Components: main' \
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' |
    $SUDO tee /etc/apt/sources.list.d/hakmem-deb-src.sources >/dev/null
  need_update=1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ] || [ "$need_update" -eq 1 ]; then
  $SUDO apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
