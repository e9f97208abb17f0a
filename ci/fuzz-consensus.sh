#!/usr/bin/env bash
# Adversarial schedule fuzzing of the PBFT core (deterministic simulation, no network): N seeded schedules
# of Byzantine replicas (selective and equivocating new views, pre-prepares outside O and below min-s,
# withheld checkpoints, stale state, conflicting votes, replays, lying replies, Twins pairs), enumerated
# leader/partition scenarios, asymmetric links, held-back message kinds, crashes, and real log files with
# torn writes and failed fsyncs. Every schedule is checked for agreement, linearizability of the results
# clients accepted, and liveness once the faults stop.
#
#   ci/fuzz-consensus.sh [SCHEDULES [FIRST_SEED]]   default 1000 schedules from seed 1
#   ci/fuzz-consensus.sh --seed SEED                replay one schedule and print what it did and found
#
# Last line: schedules=<N> violations=<V> seeds_failed=<comma-separated seeds>; exit status 1 if V > 0.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "building ehr-consensus..." >&2
mvn -B -q -pl ehr-consensus -am package -DskipTests >&2
CP="ehr-consensus/target/classes:$(cat ehr-consensus/target/runtime-classpath.txt)"
exec java -Xmx1g -XX:+UseParallelGC -XX:-ReduceBulkZeroing -cp "$CP" org.ehrledger.consensus.testfwk.ScheduleFuzzer "${@:-1000}"
