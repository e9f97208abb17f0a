#!/usr/bin/env bash
# Clinical workflows under each basis for reading, against the running local network (ci/cluster.sh up): chart opens
# (audited reads) and notes or prescriptions under consent, under break-glass, under the network emergency state,
# reads refused without a basis, and a mix (70 % chart reads, 20 % writes, 10 % consent changes), by practitioners
# and patients of every organisation, each at their own organisation's replica. Then a timeline in 1-s buckets: the
# emergency state declared and ended under load (time to the first allowed read on every replica, and to the first
# refusal), a replica stalled, the primary killed and restarted, view changes marked. ClinicalBench.java says more.
# Last lines, one per scenario: scenario=<normal|break_glass|refused|emergency|mix> ops=<N> throughput_ops_per_s=<x>
# p50_ms=<y> p99_ms=<z>. Raw figures (scenarios.csv, buckets.csv, events.csv, switch.csv) in BENCH_RESULTS;
# ci/charts.sh draws them.
#
# Environment: EHR_ADMIN_PASSWORD (the first administrator's, printed once by ci/cluster.sh up; the administrators of
# the organisations this script admits are kept in $EHR_CLUSTER_HOME/bench-clinical.admins for the next run),
# EHR_HTTP_BASE (8081), EHR_CLUSTER_HOME (.cluster), EHR_REPLICAS (as the network reports it), BENCH_RESULTS (target/bench-clinical/<UTC time>),
# BENCH_LOOPS (24 closed loops), BENCH_PRACTITIONERS (3 per organisation), BENCH_PATIENTS (6 per organisation),
# BENCH_WARMUP (5 s), BENCH_SCENARIO_SECONDS (15 per scenario), BENCH_SCENARIOS (normal,break_glass,refused,emergency,mix:
# which, in which order), BENCH_RECORD_BYTES (1024), BENCH_TIMELINE (1; 0 skips it), BENCH_PHASE_SECONDS (15: normal,
# emergency, normal, stalled replica, normal), BENCH_RECOVERY_SECONDS (60 after the primary is killed; restarted after a
# third of it). About 1.5 minutes of set-up, 2 minutes of scenarios and 2.5 minutes of timeline with the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${EHR_HTTP_BASE:-8081}
HOME_DIR=${EHR_CLUSTER_HOME:-.cluster}
# the network's number of replicas, as replica 1 reports it (EHR_REPLICAS overrides it)
EHR_REPLICAS=${EHR_REPLICAS:-$(curl -sf -m 3 "http://127.0.0.1:$BASE/api/v1/cluster" | sed -n 's/.*"n":\([0-9]*\).*/\1/p')}
export EHR_REPLICAS=${EHR_REPLICAS:-4}
for ((n = 0; n < EHR_REPLICAS; n++)); do
  u="http://127.0.0.1:$((BASE + n))/api/v1"
  curl -sf -m 3 "$u/cluster" >/dev/null || { echo "replica $((n + 1)) does not answer at $u: start the network with ci/cluster.sh up" >&2; exit 1; }
done
[ -n "${EHR_ADMIN_PASSWORD:-}" ] || { echo "EHR_ADMIN_PASSWORD: the first administrator's password (ci/cluster.sh up prints it once)" >&2; exit 1; }
RESULTS=${BENCH_RESULTS:-target/bench-clinical/$(date -u +%Y%m%dT%H%M%SZ)}
# never leave a replica stopped by the stall of the timeline
trap 'for f in "$HOME_DIR"/node-*/replica.pid; do [ -f "$f" ] && kill -CONT "$(cat "$f")" 2>/dev/null; done; true' EXIT
CLASSES=target/bench-clinical-classes
rm -rf "$CLASSES" && javac -d "$CLASSES" ci/BenchHttp.java ci/ClinicalBench.java
java -Xmx512m -XX:TieredStopAtLevel=1 -cp "$CLASSES" ClinicalBench "$RESULTS"
