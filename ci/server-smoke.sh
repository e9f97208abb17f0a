#!/usr/bin/env bash
# The EAR on a full Payara Server 6: downloads the distribution from Maven Central (cached in the local
# repository), creates a domain configured as replica 1 of a new 4-replica network, deploys
# ehr-ear/target/ehr.ear, starts replicas 2-4 on Payara Micro (ci/cluster.sh, the same modules as a WAR),
# checks GET /api/v1/cluster, the block sync listener (mutual TLS, no clear HTTP), a signed write through the API on Payara Server (the bootstrap registers the
# organisation: a transaction signed by the new administrator, ordered by all four replicas) and that the
# Payara Micro replicas store the same block, then stops everything.
#
# Environment: EHR_DB (derby, or postgresql: every replica on its own PostgreSQL database, Payara Server's through
# the settings of server-config/database-postgresql.properties), EHR_EAR (ehr-ear/target/ehr.ear), SMOKE_HTTP_BASE (28081: Payara Server, then 28082-28084),
# SMOKE_ADMIN_PORT (24848), SMOKE_JGROUPS_BASE (27800; block sync listeners at +200).
# Last line: payara_server=6.2025.9 database=derby deploy=ok cluster=ok signed_write=ok portal=ok soap=ok fhir=ok micro_replicas_agree=ok
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VERSION=6.2025.9
ZIP="$HOME/.m2/repository/fish/payara/distributions/payara/$VERSION/payara-$VERSION.zip"
EAR=${EHR_EAR:-$ROOT/ehr-ear/target/ehr.ear}
WORK="$ROOT/target/server-smoke"
HTTP=${SMOKE_HTTP_BASE:-28081}
ADMIN=${SMOKE_ADMIN_PORT:-24848}
JG=${SMOKE_JGROUPS_BASE:-27800}
DB=${EHR_DB:-derby}
CLUSTER_ENV=(EHR_ONLY="2 3 4" EHR_CLUSTER_HOME="$WORK/cluster" EHR_HTTP_BASE="$HTTP" EHR_JGROUPS_BASE="$JG" EHR_SKIP_BUILD=1 EHR_DB="$DB" EHR_CDS=0)
DOMAIN=ehr-smoke

[ -f "$EAR" ] || { echo "no $EAR: build it first (mvn -pl ehr-ear -am package)" >&2; exit 1; }
if [ ! -f "$ZIP" ]; then
  echo "downloading Payara Server $VERSION (about 170 MB, once)..."
  mvn -B -q dependency:get -Dartifact="fish.payara.distributions:payara:$VERSION:zip"
fi
if [ -d "$WORK/cluster" ]; then env "${CLUSTER_ENV[@]}" bash ci/cluster.sh down >/dev/null 2>&1 || true; fi
rm -rf "$WORK"; mkdir -p "$WORK/data"
# Payara Server unpacks to about 250 MB, its domain and the three Micro replicas write about 600 MB more
free_mb=$(df -Pm "$WORK" | awk 'NR==2 {print $4}')
if [ "${free_mb:-0}" -lt 1200 ]; then
  echo "SMOKE FAILED: only ${free_mb} MB free on the disk of $WORK, and the smoke test needs about 1.2 GB;" \
       "free some (e.g. rm -rf ehr-micro/target/it-*) and run it again" >&2
  exit 1
fi
echo "unpacking Payara Server $VERSION..."
unzip -q "$ZIP" -d "$WORK"
ASADMIN="$WORK/payara6/bin/asadmin"
LOG="$WORK/payara6/glassfish/domains/$DOMAIN/logs/server.log"

cleanup() {
  "$ASADMIN" stop-domain "$DOMAIN" >/dev/null 2>&1 || true
  env "${CLUSTER_ENV[@]}" bash ci/cluster.sh down >/dev/null 2>&1 || true
}
trap cleanup EXIT
fail() {
  echo "SMOKE FAILED: $*" >&2
  [ -f "$LOG" ] && { echo "--- server log (errors):" >&2; grep -E "SEVERE|Exception" "$LOG" | tail -n 20 >&2; }
  exit 1
}

echo "creating the genesis of a 4-replica network..."
java -cp "ehr-consensus/target/classes:$(cat ehr-consensus/target/runtime-classpath.txt)" \
  org.ehrledger.consensus.tool.GenesisTool "$WORK/cluster/genesis" 4 127.0.0.1 "$JG" 4 >/dev/null

echo "creating domain $DOMAIN (HTTP $HTTP, admin $ADMIN)..."
"$ASADMIN" create-domain --nopassword --portbase $((ADMIN - 48)) "$DOMAIN" >/dev/null
# portbase puts admin at base+48 and HTTP at base+80; keep the requested HTTP port if it differs
"$ASADMIN" start-domain "$DOMAIN" >/dev/null || fail "the domain did not start"
A=("$ASADMIN" --port "$ADMIN")
"${A[@]}" set "configs.config.server-config.network-config.network-listeners.network-listener.http-listener-1.port=$HTTP" >/dev/null
peers=""
for n in 0 1 2 3; do peers+="${peers:+,}http\\://127.0.0.1\\:$((HTTP + n))"; done
if [ "$DB" = postgresql ]; then
  echo "starting the network's PostgreSQL server (replica 1's database ehr1)..."
  env "${CLUSTER_ENV[@]}" bash ci/cluster.sh database >/dev/null || fail "the PostgreSQL server did not start"
fi
# The application's JDBC resource for this database: server-config/database-<db>.properties, one JVM option a line
# (asadmin separates options at an unescaped colon).
db_opts=()
while IFS= read -r line; do
  db_opts+=("-D${line//:/\\:}")
done < <(sed -e "s|@DATA@|$WORK/data|" -e "s|@HOST@|127.0.0.1|" -e "s|@PORT@|$((JG + 50))|" -e "s|@DATABASE@|ehr1|" \
  -e "s|@ROLE@|ehr1|" -e "s|@PASSWORD_FILE@|$WORK/cluster/node-1/db.password|" "server-config/database-$DB.properties" | grep -v '^#' | grep .)
for opt in "-Dehr.replica.id=0" "-Dehr.data.dir=$WORK/data" "-Dehr.genesis.dir=$WORK/cluster/genesis" \
           "-Dehr.organisation.id=smoke-hospital" "${db_opts[@]}" \
           "-Dehr.jgroups.stack=$ROOT/server-config/jgroups-tcp.xml" "-Dehr.peer.urls=$peers" \
           "-Djava.net.preferIPv4Stack=true" "-XX\\:+ExitOnOutOfMemoryError" "-XX\\:-ReduceBulkZeroing"; do
  "${A[@]}" create-jvm-options -- "$opt" >/dev/null
done
"${A[@]}" restart-domain "$DOMAIN" >/dev/null || fail "the domain did not restart"

echo "deploying $(basename "$EAR")..."
start=$SECONDS
"${A[@]}" deploy --name ehr --force=true "$EAR" >/dev/null || fail "deploy failed"
echo "  deployed in $((SECONDS - start)) s"

echo "starting replicas 2-4 on Payara Micro..."
env "${CLUSTER_ENV[@]}" bash ci/cluster.sh up | tail -n 8 || fail "the Payara Micro replicas did not join"

BASE="http://127.0.0.1:$HTTP/api/v1"
status=""
for _ in $(seq 1 60); do
  status=$(curl -sf -m 5 "$BASE/cluster" || true)
  grep -q '"state":"running"' <<<"$status" && break
  sleep 1
done
grep -q '"state":"running"' <<<"$status" || fail "GET /api/v1/cluster did not report a running replica: $status"
for field in replicaId view primary lastExecuted height headHash stableCheckpoint members; do
  grep -q "\"$field\":" <<<"$status" || fail "GET /api/v1/cluster lacks $field: $status"
done
echo "  GET /api/v1/cluster: $status"
# Block sync on Payara Server: the gateway's own mutual-TLS listener (genesis JGroups port + 200), no HTTP path.
SYNC=$((JG + 200))
grep -q "block sync: mutual TLS on 127.0.0.1:$SYNC" "$LOG" || fail "the block sync listener did not start on port $SYNC"
if curl -s -m 5 -o /dev/null "http://127.0.0.1:$SYNC/"; then fail "the block sync port answered clear HTTP"; fi
gone=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/replication/blocks?from=1&max=1")
[ "$gone" = 404 ] || fail "the clear HTTP block sync endpoint answered $gone instead of 404"
echo "  block sync: mutual TLS on port $SYNC only (clear HTTP refused, the old endpoint is gone)"

secret=$(head -c 32 /dev/urandom | base64 | tr -d '/+=\n')
(umask 077; echo "$secret" > "$WORK/data/bootstrap.token")
answer=$(curl -s -m 60 -X POST -H 'Content-Type: application/json' -H "X-Bootstrap-Secret: $secret" \
  -d '{"adminId":"smoke-admin","name":"Smoke Administrator"}' "$BASE/bootstrap")
grep -q '"blockHash":"[0-9a-f]\{64\}"' <<<"$answer" || fail "the signed bootstrap write was not committed: $answer"
height=$(sed -n 's/.*"blockHeight":\([0-9]*\).*/\1/p' <<<"$answer" | head -1)
block=$(curl -sf "$BASE/blocks/$height") || fail "block $height not readable"
grep -q '"entryCount":1' <<<"$block" || fail "block $height does not hold the write: $block"
code=$(sed -n 's/.*"enrolmentCode":"\([^"]*\)".*/\1/p' <<<"$answer")
[ -n "$code" ] || fail "the bootstrap answered no enrolment code: $answer"
grep -q '"password"' <<<"$answer" && fail "the bootstrap answered a password: $answer"
refused=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -d "{\"userId\":\"smoke-admin\",\"password\":\"$code\"}" "$BASE/sessions")
[ "$refused" = 403 ] || fail "signing in with the enrolment code answered $refused instead of 403 (enrolment required)"
password="smoke admin password $RANDOM$RANDOM"
enrolled=$(curl -s -m 60 -X POST -H 'Content-Type: application/json' \
  -d "{\"userId\":\"smoke-admin\",\"code\":\"$code\",\"password\":\"$password\"}" "$BASE/enrolments")
grep -q '"keyRotation"' <<<"$enrolled" || fail "the administrator's enrolment did not rotate their keys on chain: $enrolled"
signin=$(curl -s -X POST -H 'Content-Type: application/json' \
  -d "{\"userId\":\"smoke-admin\",\"password\":\"$password\"}" "$BASE/sessions")
grep -q '"token"' <<<"$signin" || fail "the new administrator cannot sign in: $signin"
denied=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -d '{"userId":"dr-x","name":"X","role":"PRACTITIONER"}' "$BASE/staff")
[ "$denied" = 401 ] || fail "an unauthenticated staff registration answered $denied instead of 401"
verified=$(curl -sf "$BASE/blocks/verification")
grep -q '"valid":true' <<<"$verified" || fail "chain verification failed: $verified"
echo "  signed write committed in block $height; sign-in, role check and chain verification work"
root="http://127.0.0.1:$HTTP"
landing=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$root/")
[ "$landing" = "302 $root/login.xhtml" ] || fail "the portal root answered '$landing' instead of a redirect to the login page"
curl -sf "$root/login.xhtml" | grep -q '<title>Sign in · EHR Ledger</title>' || fail "the portal's login page does not render"
echo "  the portal's root leads to its login page"
curl -sf "$root/soap/billing?wsdl" | grep -q 'name="BillingService"' || fail "the billing service's WSDL is not served at /soap/billing?wsdl"
echo "  the billing service's WSDL is served by the server's own Metro"
curl -sf "$root/fhir/r4/metadata" | grep -q '"fhirVersion":"4.0.1"' || fail "the FHIR facade's CapabilityStatement is not served at /fhir/r4/metadata"
token=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$signin")
registered=$(curl -s -m 120 -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/fhir+json' "$root/fhir/r4/Patient" \
  -d '{"resourceType":"Patient","name":[{"text":"Smoke Patient"}],"birthDate":"1970-01-01","telecom":[{"system":"phone","value":"+44 20 7946 0000"}]}')
[ "$registered" = 201 ] || fail "registering a patient through the FHIR facade (parsed, validated, committed) answered $registered"
invalid=$(curl -s -m 60 -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/fhir+json' \
  "$root/fhir/r4/Patient" -d '{"resourceType":"Patient","birthDate":"not a date"}')
grep -q '"resourceType":"OperationOutcome"' <<<"$invalid" || fail "an invalid Patient was not answered with an OperationOutcome: $invalid"
echo "  the FHIR facade registers a patient (HAPI and the offline validator on the server's class loader)"
expected=$(sed -n 's/.*"hash":"\([0-9a-f]*\)".*/\1/p' <<<"$block")
for n in 1 2 3; do
  other=""
  for _ in $(seq 1 30); do other=$(curl -sf "http://127.0.0.1:$((HTTP + n))/api/v1/blocks/$height" || true); [ -n "$other" ] && break; sleep 1; done
  grep -q "\"hash\":\"$expected\"" <<<"$other" || fail "Payara Micro replica $((n + 1)) does not hold the same block $height: $other"
done
echo "  the Payara Micro replicas store the same block $height"

"${A[@]}" undeploy ehr >/dev/null || fail "undeploy failed"
"$ASADMIN" stop-domain "$DOMAIN" >/dev/null
trap - EXIT
env "${CLUSTER_ENV[@]}" bash ci/cluster.sh down >/dev/null
echo "payara_server=$VERSION database=$DB deploy=ok cluster=ok signed_write=ok portal=ok soap=ok fhir=ok micro_replicas_agree=ok"
