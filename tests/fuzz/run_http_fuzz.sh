#!/usr/bin/env bash
# hakmemd's HTTP request-head parser under libFuzzer (ctest fuzz.http_request), seeded with
# requests as Prometheus and curl send them and with the kinds the server refuses.
# usage: run_http_fuzz.sh FUZZER WORKDIR; HAKMEMTEST_FUZZ_SECONDS sets the length (default 60;
# this target runs a third of it).
set -euo pipefail
fuzzer=$1 work=$2
seconds=$(( (${HAKMEMTEST_FUZZ_SECONDS:-60} + 2) / 3 ))
rm -rf "$work"
mkdir -p "$work/seeds" "$work/corpus"
printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9464\r\nUser-Agent: Prometheus/2.42.0\r\nAccept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\nAccept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n' >"$work/seeds/prometheus"
printf 'GET /metrics HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' >"$work/seeds/http10"
printf 'HEAD /?x=1 HTTP/1.1\r\nConnection: close, TE\r\n\r\nGET / HTTP/1.1\r\n\r\n' >"$work/seeds/pipelined"
printf 'POST /metrics HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello' >"$work/seeds/body"
printf 'GET /metrics HTTP/1.1\r\n folded: x\r\n\r\n' >"$work/seeds/folded"
"$fuzzer" -max_total_time="$seconds" -timeout=5 -max_len=16384 -print_final_stats=1 \
  "$work/corpus" "$work/seeds"
