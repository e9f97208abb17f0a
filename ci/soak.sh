#!/usr/bin/env bash
# Soak test against the running local network (start it with ci/cluster.sh up): mixed load for MINUTES (default
# 30) — writes at a steady rate through replica 1's JSON API, practitioners' chart reads, FHIR reads and
# searches, portal pages and the WSDL on every replica, GET /openapi — with replica 3 killed a third of the way
# in and restarted 30 s later (it catches up from a peer). Samples every replica's live heap every 5 minutes
# (after a full GC) and looks for OutOfMemoryError in the replicas' logs. Exit status 0 only when nothing failed.
# Last line: minutes=<m> writes=<n> errors=<e> oom=<k> heap_growth_mb_per_hour=<g> heads_equal=<true|false>
#
# Environment: EHR_ADMIN_PASSWORD (required: the first administrator's password, printed once by
# ci/cluster.sh up), EHR_ADMIN_ID (admin), SOAK_WRITES_PER_S (250), EHR_HTTP_BASE (8081), EHR_CLUSTER_HOME (.cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v jcmd >/dev/null || { echo "jcmd (from the JDK) is needed to measure the replicas' heap" >&2; exit 1; }
exec java -Xmx1g -XX:TieredStopAtLevel=1 ci/Load.java soak "${1:-30}"
