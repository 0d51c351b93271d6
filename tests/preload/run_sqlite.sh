#!/usr/bin/env bash
# Preload test: the sqlite3 shell running 300 000 single-row INSERTs (each statement parsed
# and prepared anew, so malloc-heavy), index builds, updates, deletes, aggregates, joins and
# 20 000 point queries on an on-disk database must print the same bytes under HAKMEM.
# Usage: run_sqlite.sh /path/to/libhakmem.so
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
preload_setup sqlite "${1:-}"
preload_require sqlite3 awk

ROWS=300000
awk -v rows="$ROWS" 'BEGIN {
  print "CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER NOT NULL, name TEXT, v REAL);"
  print "BEGIN;"
  for (i = 1; i <= rows; i++) {
    k = (i * 7919) % 100003
    printf "INSERT INTO t VALUES(%d, %d, '\''name_%d_%s'\'', %d.25);\n", i, k, k % 977,
           substr("abcdefghijklmnopqrstuvwxyz", i % 26 + 1, i % 7 + 1), i % 1000
  }
  print "COMMIT;"
  print "CREATE INDEX t_k ON t(k);"
  print "CREATE INDEX t_name ON t(name, k);"
  print "SELECT count(*), sum(k), min(name), max(name), total(v) FROM t;"
  print "SELECT k % 50 AS b, count(*), sum(v), group_concat(DISTINCT substr(name, -1)) FROM t GROUP BY b ORDER BY b;"
  print "UPDATE t SET v = v * 2, name = upper(name) WHERE id % 3 = 0;"
  print "DELETE FROM t WHERE id % 7 = 0;"
  print "CREATE TABLE u AS SELECT k, count(*) AS c, max(id) AS m FROM t GROUP BY k;"
  print "SELECT count(*), sum(c), sum(m) FROM u;"
  print "SELECT u.k, u.c, t.name FROM u JOIN t ON t.id = u.m WHERE u.k < 300 ORDER BY u.k;"
  print "SELECT name, count(*) FROM t GROUP BY name ORDER BY count(*) DESC, name LIMIT 40;"
  print "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 50000) SELECT count(*), sum(length(printf('"'"'%08d'"'"', x))) FROM r;"
  for (q = 0; q < 20000; q++) {
    printf "SELECT id, name, v FROM t WHERE k = %d ORDER BY id;\n", (q * 4099) % 100003
  }
  print "PRAGMA integrity_check;"
}' >workload.sql

workload() {
  "${RUN[@]}" sqlite3 -batch -bail test.db <../workload.sql
}

preload_run_both
# ~8.7 M allocations on glibc.
preload_check_stats 3000000 1
preload_pass
