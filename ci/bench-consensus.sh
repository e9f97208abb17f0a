#!/usr/bin/env bash
# Consensus benchmark: 4 PBFT replicas (f=1; BENCH_REPLICAS=7 for f=2) in separate JVMs over JGroups TCP on 127.0.0.1, closed-loop
# clients sending signed 1 KiB requests (1 KiB replies, trivial in-memory application), warm-up excluded.
# Last line: replicas=<n> request_bytes=1024 throughput_ops_per_s=<N> p50_ms=<x> p99_ms=<y>
#
# Tunables (environment): BENCH_REPLICAS (4), BENCH_SECONDS (60), BENCH_WARMUP (15), BENCH_CLIENTS (4), BENCH_LOOPS (64),
# BENCH_BATCH (512), BENCH_FIRST_PORT (7700), BENCH_INFLIGHT (4 signed requests in flight per client),
# BENCH_BUNDLE (64 operations at most per signed request; 1 = no bundling), BENCH_JFR (set: record a 20 s flight recording per replica),
# BENCH_TLS (1: TLS 1.3 on the JGroups links, as the replicas run by default; 0: links in clear, for comparison).
set -euo pipefail
cd "$(dirname "$0")/.."

REPLICAS=${BENCH_REPLICAS:-4}
SECONDS_TO_RUN=${BENCH_SECONDS:-60}
WARMUP=${BENCH_WARMUP:-15}
CLIENTS=${BENCH_CLIENTS:-4}
LOOPS=${BENCH_LOOPS:-64}
BATCH=${BENCH_BATCH:-512}
FIRST_PORT=${BENCH_FIRST_PORT:-7700}
INFLIGHT=${BENCH_INFLIGHT:-4}
BUNDLE=${BENCH_BUNDLE:-64}
WORK=target/bench-consensus
# -XX:-ReduceBulkZeroing: C2 of HotSpot 17 miscomputes a copy of a fresh Arrays.copyOfRange without it (docs/OPERATIONS.md)
JVM_OPTS=(-Xms256m -Xmx768m -XX:+UseParallelGC -XX:-ReduceBulkZeroing -Djava.net.preferIPv4Stack=true)
[ "${BENCH_TLS:-1}" = 0 ] && JVM_OPTS+=(-Dehr.bench.no-tls=true)

echo "building ehr-consensus..." >&2
mvn -B -q -pl ehr-consensus -am package -DskipTests >&2
CP="ehr-consensus/target/classes:$(cat ehr-consensus/target/runtime-classpath.txt)"

rm -rf "$WORK"
mkdir -p "$WORK/data"
java "${JVM_OPTS[@]}" -cp "$CP" org.ehrledger.consensus.tool.GenesisTool "$WORK/genesis" "$REPLICAS" 127.0.0.1 "$FIRST_PORT" "$CLIENTS" >&2

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

for ((i = 0; i < REPLICAS; i++)); do
  java "${JVM_OPTS[@]}" -cp "$CP" org.ehrledger.consensus.bench.BenchReplica "$WORK/genesis" "$i" "$WORK/data" "$BATCH" \
    > "$WORK/replica-$i.log" 2>&1 &
  PIDS+=($!)
done
if [ -n "${BENCH_JFR:-}" ]; then
  # Recorded under load: 20 s starting 5 s into the measured window (forming the JGroups cluster before the
  # warm-up takes a varying time, so a delay counted from JVM start can miss the load altogether).
  REPLICA_PIDS=("${PIDS[@]}")
  (
    until grep -q "warming up" "$WORK/result.txt" 2>/dev/null; do sleep 1; done
    sleep $((WARMUP + 5))
    for ((i = 0; i < REPLICAS; i++)); do
      jcmd "${REPLICA_PIDS[$i]}" JFR.start duration=20s settings=profile filename="$PWD/$WORK/replica-$i.jfr" >/dev/null
    done
  ) &
  PIDS+=($!)
fi
echo "started $REPLICAS replicas (logs in $WORK/replica-*.log); running $CLIENTS x $LOOPS closed-loop clients for ${SECONDS_TO_RUN}s after ${WARMUP}s warm-up" >&2

java "${JVM_OPTS[@]}" -cp "$CP" org.ehrledger.consensus.bench.BenchClient "$WORK/genesis" "$CLIENTS" "$LOOPS" 1024 \
  "$WARMUP" "$SECONDS_TO_RUN" "$INFLIGHT" "$BUNDLE" 2> "$WORK/client.log" | tee "$WORK/result.txt" >&2
for ((i = 0; i < REPLICAS; i++)); do tail -n 1 "$WORK/replica-$i.log" >&2; done
tail -n 1 "$WORK/result.txt"
