#!/usr/bin/env bash
# What the FHIR facade's first use costs a replica: starts a fresh network (its own home and ports), then on
# replica 1 measures the live heap (old generation used after a full GC, jcmd GC.run + GC.heap_info) fresh,
# after GET /fhir/r4/metadata, after the first validated creates (Patient by the registration desk, Consent by
# the patient, Observation by a practitioner), after a search and a read, and after the same steps again; and
# the latency of each first request. Stops the network at the end. Run it under the IT lock:
#   flock /tmp/ehr-it.lock ci/bench-fhir-heap.sh
# Class histograms (fresh, after the creates, at the end) are left in the network's home.
# Last line: fresh_mb=<a> metadata_mb=<b> create_mb=<c> search_read_mb=<d> again_mb=<e> growth_mb=<e-a>
#            metadata_ms=<t1> first_create_ms=<t2> histogram=<file>
# Environment: EHR_HTTP_BASE (19181), EHR_JGROUPS_BASE (19200), BENCH_HOME (a new directory under /tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
export EHR_HTTP_BASE=${EHR_HTTP_BASE:-19181} EHR_JGROUPS_BASE=${EHR_JGROUPS_BASE:-19200}
export EHR_CLUSTER_HOME=${BENCH_HOME:-$(mktemp -d /tmp/fhir-heap.XXXXXX)}
B="http://127.0.0.1:$EHR_HTTP_BASE"
trap 'ci/cluster.sh down >/dev/null 2>&1 || true' EXIT
out=$(ci/cluster.sh up)
password=$(sed -n 's/.*password: \(\S*\).*/\1/p' <<<"$out" | head -1)
PID=$(cat "$EHR_CLUSTER_HOME/node-1/replica.pid")

live_mb() {   # old generation used after a full GC, in MB
  jcmd "$PID" GC.run >/dev/null; sleep 1; jcmd "$PID" GC.run >/dev/null
  jcmd "$PID" GC.heap_info | awk '/ParOldGen|PSOldGen/ {for (i = 1; i <= NF; i++) if ($i == "used") {v = $(i + 1); sub("K,?", "", v); printf "%d\n", v / 1024}}'
}
api() {   # METHOD PATH TOKEN BODY -> body
  curl -sf -m 120 -X "$1" -H 'Content-Type: application/json' ${3:+-H "Authorization: Bearer $3"} ${4:+-d "$4"} "$B/api/v1$2"
}
fhir() {  # METHOD PATH TOKEN BODY [EXPECTED STATUS]: sets MS (the latency), FHIR_BODY and FHIR_HEADERS
  local r; r=$(curl -s -m 120 -o /tmp/fhir-heap-body.$$ -w '%{http_code} %{time_total}' -X "$1" \
    -H 'Content-Type: application/fhir+json' -H 'X-Access-Reason: heap benchmark' ${3:+-H "Authorization: Bearer $3"} \
    ${4:+-d "$4"} -D /tmp/fhir-heap-headers.$$ "$B/fhir/r4/$2")
  FHIR_BODY=$(cat /tmp/fhir-heap-body.$$); FHIR_HEADERS=$(cat /tmp/fhir-heap-headers.$$)
  MS=$(awk '{printf "%d", $2 * 1000}' <<<"$r")
  [ "${r%% *}" = "${5:-200}" ] || { echo "$1 $2: expected ${5:-200}, got ${r%% *}: $FHIR_BODY" >&2; exit 1; }
}
sign_in() { api POST /sessions "" "{\"userId\":\"$1\",\"password\":\"$2\"}" | jq -r .token; }
enrol() { api POST /enrolments "" "{\"userId\":\"$1\",\"code\":\"$2\",\"password\":\"$3\"}" >/dev/null; }

admin=$(sign_in admin "$password")
code=$(api POST /staff "$admin" '{"userId":"dr-heap","name":"Dr Heap","role":"PRACTITIONER"}' | jq -r .enrolmentCode)
enrol dr-heap "$code" "dr heap password 1"
doctor=$(sign_in dr-heap "dr heap password 1")
sleep 5
fresh=$(live_mb)
jcmd "$PID" GC.class_histogram > "$EHR_CLUSTER_HOME/histogram-fresh.txt"

fhir GET metadata "" "" 200; metadata_ms=$MS
sleep 20   # the old facade loaded its validator in the background after the first request
metadata=$(live_mb)

patient_json() { echo '{"resourceType":"Patient","name":[{"text":"Ada Heap","family":"Heap","given":["Ada"]}],"gender":"female",
  "birthDate":"1960-02-0'"$1"'","telecom":[{"system":"email","value":"ada'"$1"'@example.org"}]}'; }
fhir POST Patient "$admin" "$(patient_json 1)" 201; first_create_ms=$MS
pid=$(jq -r '.id' <<<"$FHIR_BODY")
pcode=$(sed -n 's/^X-Enrolment-Code: *\([^[:space:]]*\).*/\1/ip' <<<"$FHIR_HEADERS" | tr -d '\r')
enrol "$pid" "$pcode" "patient heap password 1"
ptoken=$(sign_in "$pid" "patient heap password 1")
consent='{"resourceType":"Consent","status":"active",
 "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
 "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],"patient":{"reference":"Patient/'"$pid"'"},
 "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
 "provision":{"type":"permit","actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},
   "reference":{"reference":"Practitioner/dr-heap"}}],
   "code":[{"coding":[{"system":"urn:ehr-ledger:category","code":"OBSERVATION"}]},{"coding":[{"system":"urn:ehr-ledger:category","code":"DEMOGRAPHICS"}]}]}}'
fhir POST Consent "$ptoken" "$consent" 201
observation='{"resourceType":"Observation","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
 "code":{"coding":[{"system":"http://loinc.org","code":"29463-7","display":"Body weight"}]},"subject":{"reference":"Patient/'"$pid"'"},
 "valueQuantity":{"value":68.4,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}'
fhir POST Observation "$doctor" "$observation" 201
oid=$(jq -r '.id' <<<"$FHIR_BODY")
invalid='{"resourceType":"Observation","subject":{"reference":"Patient/'"$pid"'"}}'
fhir POST Observation "$doctor" "$invalid" 422
create=$(live_mb)
jcmd "$PID" GC.class_histogram > "$EHR_CLUSTER_HOME/histogram-create.txt"

fhir GET "Observation?patient=$pid" "$doctor" "" 200
fhir GET "Observation/$oid" "$doctor" "" 200
fhir GET "Patient/$pid/\$everything" "$ptoken" "" 200
search_read=$(live_mb)

for i in 2 3 4; do
  fhir POST Patient "$admin" "$(patient_json $i)" 201
  fhir POST Observation "$doctor" "$observation" 201
  fhir GET "Observation?patient=$pid&_format=xml" "$doctor" "" 200
done
again=$(live_mb)
histogram="$EHR_CLUSTER_HOME/histogram.txt"
jcmd "$PID" GC.class_histogram > "$histogram"
rm -f /tmp/fhir-heap-body.$$ /tmp/fhir-heap-headers.$$
echo "fresh_mb=$fresh metadata_mb=$metadata create_mb=$create search_read_mb=$search_read again_mb=$again" \
  "growth_mb=$((again - fresh)) metadata_ms=$metadata_ms first_create_ms=$first_create_ms histogram=$histogram"
