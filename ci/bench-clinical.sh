#!/usr/bin/env bash
# Clinical workflows under each basis for reading, against the running local network (ci/cluster.sh up): chart opens
# (audited reads) and notes or prescriptions under consent, under break-glass, under the network emergency state,
# reads refused without a basis, and a mix (70 % chart reads, 20 % writes, 10 % consent changes), by practitioners
# and patients of every organisation, each at their own organisation's replica. Then a timeline in 1-s buckets: the
# emergency state declared and ended under load (time to the first allowed read on every replica, and to the first
# refusal), then faults in turn (BENCH_FAULTS): a replica stalled, a replica's links slow, lossy or stalled, the primary
# killed and restarted in the normal state and in the emergency state; faults and view changes marked (events.csv).
# ClinicalBench.java says more.
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
# emergency, normal, then each fault and a phase of normal running after it), BENCH_RECOVERY_SECONDS (60 after the primary
# is killed; restarted after a third of it, at most 30 s, and waited for until it runs again).
# BENCH_FAULTS (stall,kill): the faults of the timeline, in order, from
#   stall           the backup after the primary stopped 150 ms of every 300 ms (SIGSTOP/SIGCONT) for a phase;
#   link            the links of the replica behind ci/cluster.sh's proxies (a network started with EHR_LINK_PROXY=N, e.g.
#                   EHR_LINK_PROXY=2 ci/cluster.sh up) made bad, one BENCH_LINK_FAULTS setting per phase, each followed by
#                   a phase of sound links; BENCH_LINK_FAULTS ("delay=300|delay=300 reset=0.05"): settings separated by
#                   '|', each as for `ci/cluster.sh link`: delay=MS (each chunk, each way), reset=FRACTION (of its
#                   connections reset each second, and of new ones refused), stall=1 (nothing read);
#   kill            the primary killed (SIGKILL) in the normal state, restarted;
#   kill_emergency  the emergency state declared, the primary killed a phase later and restarted, the state ended once
#                   it runs again.
# e.g. BENCH_FAULTS=stall,link,kill,kill_emergency. About 1.5 minutes of set-up, 2 minutes of scenarios and 2.5 minutes
# of timeline with the defaults (add 2 phases per link setting, and about 1.5 minutes plus the restart for each kill).
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
# nor a link made bad
trap 'for f in "$HOME_DIR"/node-*/replica.pid; do [ -f "$f" ] && kill -CONT "$(cat "$f")" 2>/dev/null; done
      [ -f "$HOME_DIR/link-proxy.control" ] && : > "$HOME_DIR/link-proxy.control"; true' EXIT
CLASSES=target/bench-clinical-classes
rm -rf "$CLASSES" && javac -d "$CLASSES" ci/BenchHttp.java ci/ClinicalBench.java
java -Xmx512m -XX:TieredStopAtLevel=1 -cp "$CLASSES" ClinicalBench "$RESULTS"
