#!/usr/bin/env bash
# End-to-end benchmark against the running local network (start it with ci/cluster.sh up): closed-loop
# clients add 1 KiB clinical records through the JSON API of replica 1 (sign-up, sign-in, then
# authenticated writes: each one encrypted, signed, ordered by PBFT and stored by all 4 replicas),
# warm-up excluded; then every replica verifies its whole chain.
# Last line: replicas=4 writes=<N> throughput_writes_per_s=<x> p50_ms=<y> p99_ms=<z> chain_verified=true
#
# Environment: BENCH_SECONDS (60), BENCH_WARMUP (15), BENCH_LOOPS (128 closed loops), BENCH_RECORD_BYTES (1024, at most
# 262144: the API's limit on a record's text), EHR_HTTP_BASE (8081), EHR_CLUSTER_HOME (.cluster), EHR_REPLICAS (as the network reports it).
#
# Fault mode: BENCH_PAUSE_REPLICA=N (1-4) pauses replica N's process with SIGSTOP BENCH_PAUSE_AT seconds (15) into
# the measured window for BENCH_PAUSE_SECONDS (30), then resumes it. Last line then:
# replicas=4 writes=<N> paused_replica=N paused_s=<s> throughput_before_writes_per_s=<x> throughput_paused_writes_per_s=<y>
# throughput_after_resume_writes_per_s=<z> throughput_ratio=<y/x> p99_before_ms=<a> p99_paused_ms=<b>
# p99_after_resume_ms=<c> p99_ratio=<b/a> failed_writes=<f> chain_verified=true (the heads must match once it caught up)
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${EHR_HTTP_BASE:-8081}
URLS=""
# the network's number of replicas, as replica 1 reports it (EHR_REPLICAS overrides it)
EHR_REPLICAS=${EHR_REPLICAS:-$(curl -sf -m 3 "http://127.0.0.1:$BASE/api/v1/cluster" | sed -n 's/.*"n":\([0-9]*\).*/\1/p')}
export EHR_REPLICAS=${EHR_REPLICAS:-4}
for ((n = 0; n < EHR_REPLICAS; n++)); do
  u="http://127.0.0.1:$((BASE + n))/api/v1"
  curl -sf -m 3 "$u/cluster" >/dev/null || { echo "replica $((n + 1)) does not answer at $u: start the network with ci/cluster.sh up" >&2; exit 1; }
  URLS+="${URLS:+,}$u"
done
PAUSE=()
if [ -n "${BENCH_PAUSE_REPLICA:-}" ]; then
  PID_FILE="${EHR_CLUSTER_HOME:-.cluster}/node-$BENCH_PAUSE_REPLICA/replica.pid"
  [ -f "$PID_FILE" ] || { echo "no $PID_FILE: BENCH_PAUSE_REPLICA needs a network started by ci/cluster.sh up" >&2; exit 1; }
  PAUSE=("$BENCH_PAUSE_REPLICA" "${BENCH_PAUSE_AT:-15}" "${BENCH_PAUSE_SECONDS:-30}" "$(cat "$PID_FILE")")
  trap 'kill -CONT "$(cat "$PID_FILE")" 2>/dev/null || true' EXIT   # never leave a replica stopped
fi
CLASSES=target/bench-e2e-classes
rm -rf "$CLASSES" && javac -d "$CLASSES" ci/BenchHttp.java ci/E2eBench.java
java -Xmx512m -XX:TieredStopAtLevel=1 -cp "$CLASSES" E2eBench "$URLS" "${BENCH_LOOPS:-128}" "${BENCH_WARMUP:-15}" "${BENCH_SECONDS:-60}" "${BENCH_RECORD_BYTES:-1024}" "${PAUSE[@]}"
