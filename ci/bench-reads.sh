#!/usr/bin/env bash
# Read latency against the running local network (start it with ci/cluster.sh up), on whatever it holds: registers
# 2 practitioners and 8 patients (40 records each, consented to one practitioner), then opens SAMPLES charts (audited:
# each read is committed to the ledger before anything is decrypted) and access logs at replica 1, one at a time.
# Last line: samples=<N> chart_p50_ms=<a> chart_p90_ms=<b> chart_p99_ms=<c> access_log_p50_ms=<d> access_log_p90_ms=<e> access_log_p99_ms=<f>
#
# Environment: EHR_ADMIN_PASSWORD (required: the first administrator's password, printed once by ci/cluster.sh up),
# EHR_ADMIN_ID (admin), EHR_HTTP_BASE (8081), EHR_CLUSTER_HOME (.cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
exec java -Xmx256m -XX:TieredStopAtLevel=1 ci/Load.java reads "${1:-200}"
