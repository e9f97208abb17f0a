#!/usr/bin/env bash
# Local 4-replica PBFT network on 127.0.0.1 (JGroups TCP, ports 7800-7803).
#
#   ci/cluster.sh up        build if needed, create genesis keys once, start 4 replicas, wait for them
#   ci/cluster.sh status    view, primary, last executed sequence, stable checkpoint of each replica
#   ci/cluster.sh load [s]  drive closed-loop signed requests for s seconds (default 10) and print figures
#   ci/cluster.sh kill N    stop replica N with SIGKILL (crash)      ci/cluster.sh start N   restart it
#   ci/cluster.sh down      stop every replica (data and keys stay in .cluster/)
#
# Until the ledger and the Payara packaging land, each replica runs the consensus library with its
# demonstration application (a SHA-256 hash chain over every request) and a durable write-ahead log.
set -euo pipefail
cd "$(dirname "$0")/.."

HOME_DIR=${EHR_CLUSTER_HOME:-.cluster}
GENESIS="$HOME_DIR/genesis"
DATA="$HOME_DIR/data"
LOGS="$HOME_DIR/logs"
FIRST_PORT=${EHR_FIRST_PORT:-7800}
JVM_OPTS=(-Xms128m -Xmx512m -XX:+UseParallelGC -Djava.net.preferIPv4Stack=true)

classpath() {
  if [ ! -f ehr-consensus/target/runtime-classpath.txt ] || [ -n "$(find ehr-consensus/src/main -newer ehr-consensus/target/runtime-classpath.txt -type f | head -1)" ]; then
    echo "building ehr-consensus (first run downloads dependencies)..." >&2
    mvn -B -q -pl ehr-consensus -am package -DskipTests >&2
  fi
  echo "ehr-consensus/target/classes:$(cat ehr-consensus/target/runtime-classpath.txt)"
}

pid_of() { cat "$HOME_DIR/replica-$1.pid" 2>/dev/null || true; }
alive() { local p; p=$(pid_of "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

start_one() {
  local i=$1 cp=$2
  if alive "$i"; then echo "replica $i already running (pid $(pid_of "$i"))"; return; fi
  rm -f "$DATA/replica-$i.status"
  nohup java "${JVM_OPTS[@]}" -cp "$cp" org.ehrledger.consensus.bench.BenchReplica "$GENESIS" "$i" "$DATA" \
    >> "$LOGS/replica-$i.log" 2>&1 &
  echo $! > "$HOME_DIR/replica-$i.pid"
  echo "replica $i started (pid $!, log $LOGS/replica-$i.log)"
}

wait_ready() {
  local ids=("$@") deadline=$((SECONDS + 120))
  while :; do
    local ready=0
    for i in "${ids[@]}"; do
      if grep -q "members=[4-9]" "$DATA/replica-$i.status" 2>/dev/null; then ready=$((ready + 1)); fi
      if ! alive "$i"; then echo "replica $i exited; last log lines:" >&2; tail -n 20 "$LOGS/replica-$i.log" >&2; exit 1; fi
    done
    printf '\r  waiting for replicas to join the network: %d/%d ready' "$ready" "${#ids[@]}"
    [ "$ready" -eq "${#ids[@]}" ] && { echo; return; }
    if [ $SECONDS -ge $deadline ]; then
      echo; echo "replicas did not form a network within 120 s; last log lines:" >&2
      for i in "${ids[@]}"; do tail -n 5 "$LOGS/replica-$i.log" >&2; done
      exit 1
    fi
    sleep 1
  done
}

cmd=${1:-}
case "$cmd" in
  up)
    mkdir -p "$DATA" "$LOGS"
    cp=$(classpath)
    if [ ! -f "$GENESIS/genesis.properties" ]; then
      java "${JVM_OPTS[@]}" -cp "$cp" org.ehrledger.consensus.bench.GenesisTool "$GENESIS" 4 127.0.0.1 "$FIRST_PORT" 4
    fi
    for i in 0 1 2 3; do start_one "$i" "$cp"; done
    wait_ready 0 1 2 3
    "$0" status
    echo "network up. Try: ci/cluster.sh load 10   |   ci/cluster.sh kill 0   |   ci/cluster.sh down"
    ;;
  status)
    for i in 0 1 2 3; do
      if alive "$i"; then cat "$DATA/replica-$i.status" 2>/dev/null || echo "replica=$i starting"; else echo "replica=$i DOWN"; fi
    done
    ;;
  load)
    cp=$(classpath)
    java "${JVM_OPTS[@]}" -cp "$cp" org.ehrledger.consensus.bench.BenchClient "$GENESIS" 2 16 1024 2 "${2:-10}"
    ;;
  kill)
    i=${2:?replica id}; p=$(pid_of "$i"); [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; rm -f "$HOME_DIR/replica-$i.pid"
    echo "replica $i killed"
    ;;
  start)
    i=${2:?replica id}; mkdir -p "$DATA" "$LOGS"; start_one "$i" "$(classpath)"; wait_ready "$i"
    ;;
  down)
    for i in 0 1 2 3; do p=$(pid_of "$i"); if [ -n "$p" ]; then kill "$p" 2>/dev/null || true; fi; rm -f "$HOME_DIR/replica-$i.pid"; done
    echo "network stopped (data kept in $HOME_DIR)"
    ;;
  *)
    sed -n '2,11p' "$0"; exit 2 ;;
esac
