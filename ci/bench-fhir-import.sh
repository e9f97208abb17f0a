#!/usr/bin/env bash
# Whole-history import benchmark against the running local network (start it with ci/cluster.sh up): a
# practitioner, under the patient's consent, posts one FHIR transaction bundle of a patient's history to replica 1
# with 'Prefer: respond-async' -- encounters, observations, conditions, prescriptions and lab reports with their
# text as presentedForm attachments, referring to each other by urn:uuid -- and polls the status URL until the
# transaction-response arrives: every entry validated, encrypted, signed, ordered by PBFT (staged in as many
# consensus requests as needed) and published at once. Time from the POST to the transaction-response.
# Last line: entries=<N> bytes=<B> seconds=<s> entries_per_s=<r>
#
# Arguments: ENTRIES (10000), BYTES (31457280: the bundle's approximate size, mostly attachments).
# Environment: EHR_ADMIN_PASSWORD (required: the first administrator's password, printed once by ci/cluster.sh up),
# EHR_ADMIN_ID (admin), EHR_HTTP_BASE (8081).
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${EHR_HTTP_BASE:-8081}
curl -sf -m 3 "http://127.0.0.1:$BASE/api/v1/cluster" >/dev/null \
  || { echo "replica 1 does not answer at http://127.0.0.1:$BASE: start the network with ci/cluster.sh up" >&2; exit 1; }
CLASSES=target/bench-fhir-import-classes
rm -rf "$CLASSES" && javac -d "$CLASSES" ci/BenchHttp.java ci/FhirImportBench.java
exec java -Xmx1g -XX:TieredStopAtLevel=1 -cp "$CLASSES" FhirImportBench "${1:-10000}" "${2:-31457280}"
