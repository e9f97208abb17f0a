#!/usr/bin/env bash
# Scale benchmark against the running local network (start it with ci/cluster.sh up): fills it with RECORDS
# clinical records (default 1,000,000) of many patients — FHIR transaction bundles of up to 100 observations,
# each record signed, encrypted and ordered by PBFT — with consents and audited chart reads by practitioners;
# then, per replica: the live heap after a full GC (after the FHIR facade, the portal, SOAP and the JSON API were
# used on it), the database size, and the time from a restart (SIGKILL, then ci/cluster.sh start) to serving;
# and at replica 1 the p99 of opening a patient's chart and access log.
# Lines per replica, then last line (the largest figure of the 4 replicas):
#   records=<N> heap_live_mb=<x> restart_s=<y> chart_ms=<z> access_log_ms=<w> db_mb=<v>
#
# Environment: EHR_ADMIN_PASSWORD (required: the first administrator's password, printed once by
# ci/cluster.sh up), EHR_ADMIN_ID (admin), SCALE_WRITERS (8 concurrent bundles), SCALE_PATIENTS (one per 250 records, 8 to 4,000), SCALE_SAMPLES (200 chart and
# access-log reads), EHR_HTTP_BASE (8081), EHR_CLUSTER_HOME (.cluster).
# Time: the fill runs at the network's write rate (about 120 records/s on a 2-core machine: 2.3 hours per million;
# a network can be filled over several runs, each adding RECORDS to what it holds, then measured).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v jcmd >/dev/null || { echo "jcmd (from the JDK) is needed to measure the replicas' heap" >&2; exit 1; }
exec java -Xmx1g -XX:TieredStopAtLevel=1 ci/Load.java scale "${1:-1000000}"
