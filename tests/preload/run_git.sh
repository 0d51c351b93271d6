#!/usr/bin/env bash
# Preload test: git init / add / commit of 3000 files, two more commits, repack, then log,
# diff, ls-tree and fsck must print the same bytes under HAKMEM. Identity, dates and config
# are pinned, so commit hashes are identical too; every git process runs under the preload.
# Usage: run_git.sh /path/to/libhakmem.so
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
preload_setup git "${1:-}"
preload_require git awk

# No system or user config; fixed identity and dates.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0
export GIT_AUTHOR_NAME="HAKMEM Test" GIT_AUTHOR_EMAIL="test@hakmem.invalid"
export GIT_COMMITTER_NAME="HAKMEM Test" GIT_COMMITTER_EMAIL="test@hakmem.invalid"
export GIT_AUTHOR_DATE="2020-01-01T00:00:00+0000" GIT_COMMITTER_DATE="2020-01-01T00:00:00+0000"
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GIT_TRACE GIT_PAGER PAGER

# 3000 files in 30 directories, 5..200 lines each; pass 1 writes them, pass 2 edits
# every 10th file and pass 3 lists every 25th for deletion.
make_files() {
  awk -v pass="$1" 'BEGIN {
    for (i = 0; i < 3000; i++) {
      f = sprintf("d%02d/f%04d.txt", i % 30, i)
      if (pass == 1) {
        if (i < 30) system("mkdir -p " sprintf("d%02d", i))
        for (l = 0; l < 5 + (i * 37) % 196; l++) printf "file %d line %d value %d\n", i, l, (i * 131 + l * 17) % 1009 >f
        close(f)
      } else if (pass == 2 && i % 10 == 3) {
        printf "edited %d\n", i >>f
        close(f)
      } else if (pass == 3 && i % 25 == 7) {
        print f
      }
    }
  }'
}

workload() {
  local -a git=("${RUN[@]}" git -c gc.auto=0 -c maintenance.auto=false -c core.pager=cat)
  "${git[@]}" init -q -b main repo
  cd repo || return
  make_files 1
  "${git[@]}" add -A
  "${git[@]}" commit -q -m "3000 files"
  make_files 2
  "${git[@]}" status --porcelain | awk 'NR <= 5'  # awk reads it all: no SIGPIPE
  "${git[@]}" commit -q -a -m "edit every 10th file"
  make_files 3 | xargs "${git[@]}" rm -q
  "${git[@]}" commit -q -m "delete every 25th file"
  "${git[@]}" tag -a -m "release" v1
  # One delta-search thread: with several, which deltas are chosen may vary run to run.
  "${git[@]}" -c pack.threads=1 repack -a -d -q
  "${git[@]}" log --stat --format=fuller
  "${git[@]}" log -p -n 1 HEAD~1
  "${git[@]}" diff --stat HEAD~2 HEAD | tail -n 1
  "${git[@]}" ls-tree -r HEAD
  "${git[@]}" describe
  "${git[@]}" count-objects -v | grep -E '^(count|in-pack|packs):'
  "${git[@]}" fsck --full --strict --no-progress
}

preload_run_both
# ~16 git processes; ~200 k allocations on glibc.
preload_check_stats 50000 14
preload_pass
