#!/usr/bin/env bash
# End-to-end benchmark against the running local network (start it with ci/cluster.sh up): closed-loop
# clients add 1 KiB clinical records through the JSON API of replica 1 (sign-up, sign-in, then
# authenticated writes: each one encrypted, signed, ordered by PBFT and stored by all 4 replicas),
# warm-up excluded; then every replica verifies its whole chain.
# Last line: replicas=4 writes=<N> throughput_writes_per_s=<x> p50_ms=<y> p99_ms=<z> chain_verified=true
#
# Environment: BENCH_SECONDS (60), BENCH_WARMUP (15), BENCH_LOOPS (128 closed loops), BENCH_RECORD_BYTES (1024),
# EHR_HTTP_BASE (8081).
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${EHR_HTTP_BASE:-8081}
URLS=""
for n in 0 1 2 3; do
  u="http://127.0.0.1:$((BASE + n))/api/v1"
  curl -sf -m 3 "$u/cluster" >/dev/null || { echo "replica $((n + 1)) does not answer at $u: start the network with ci/cluster.sh up" >&2; exit 1; }
  URLS+="${URLS:+,}$u"
done
exec java -Xmx512m -XX:TieredStopAtLevel=1 ci/E2eBench.java "$URLS" "${BENCH_LOOPS:-128}" "${BENCH_WARMUP:-15}" "${BENCH_SECONDS:-60}" "${BENCH_RECORD_BYTES:-1024}"
