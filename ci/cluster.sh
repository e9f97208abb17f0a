#!/usr/bin/env bash
# A local EHR Ledger network: 4 (or N) Payara Micro replicas on 127.0.0.1, each with its own database (embedded Derby,
# or PostgreSQL with EHR_DB=postgresql), agreeing over PBFT carried by JGroups (TCP, no multicast).
#
#   ci/cluster.sh up [N]    build if needed, create the genesis keys once, start the replicas, wait until they
#                           form one view, seed and enrol the first administrator (password printed once), print URLs;
#                           N replicas (4, the default: f = 1; 7: f = 2; 4 to 7, one organisation each, see
#                           server-config/replica-N.properties) for a new network, kept with it (.cluster/replicas)
#   ci/cluster.sh status    each replica's view, primary, last executed sequence, block height, checkpoint, head;
#                           "damaged" (with the first bad height) for a replica whose stored ledger was edited
#   ci/cluster.sh kill N    crash replica N (1-4, or up to 7) with SIGKILL        ci/cluster.sh start N   restart it
#   ci/cluster.sh stop N    stop replica N                            ci/cluster.sh logs N    follow its log
#   ci/cluster.sh repair N  keep a copy of replica N's data in .cluster/node-N/damaged-<time>/, empty its ledger
#                           (keys, configuration and local accounts stay), restart it and wait until it has rebuilt
#                           the ledger from its peers (verified against their certified checkpoint) and its head
#                           equals theirs (docs/OPERATIONS.md "Repairing a replica")
#   ci/cluster.sh database  PostgreSQL networks: create and start the network's server and databases only (for
#                           replicas run elsewhere, e.g. on Payara Server by ci/server-smoke.sh)
#   ci/cluster.sh move-to-postgresql N
#                           stop replica N (of a Derby network), copy its whole Derby database (chain, state, local
#                           accounts) into a PostgreSQL database of its own on the network's server (created if
#                           needed), switch the replica to it and keep the Derby database aside as
#                           .cluster/node-N/ehrdb-moved-<time>; start it with ci/cluster.sh start N
#                           (docs/OPERATIONS.md "Running on PostgreSQL")
#   ci/cluster.sh link [delay=MS] [reset=FRACTION] [stall=0|1]
#                           networks started with EHR_LINK_PROXY=N: make replica N's links slow (each chunk delayed
#                           MS ms, each way), lossy (each second, each of its connections reset with probability
#                           FRACTION, and new ones refused with it) or stalled (nothing read) from now on; no argument:
#                           a sound link again (see "Link faults" below)
#   ci/cluster.sh down      stop every replica, and the network's PostgreSQL server if it has one (data, keys and
#                           logs stay in .cluster/)
#
# Replica N: HTTP 127.0.0.1:808N, consensus id N-1, JGroups 780(N-1) (+100 for its client channel, +200 for its
# block sync listener: mutual TLS with the genesis keys), data in .cluster/node-N/; .cluster/node-N/local.properties,
# if present, is added last to the replica's system properties (its own overrides, e.g. addresses behind NAT). Environment: EHR_CLUSTER_HOME (.cluster), EHR_HTTP_BASE (8081),
# EHR_JGROUPS_BASE (7800), EHR_REPLICA_HEAP (512m), EHR_START_TIMEOUT (seconds, 300), EHR_INTEGRITY_WAIT (seconds to wait for the
# check of everything stored that follows a start, 20), EHR_JIT_OPTS (JIT options: none, i.e. C1 and C2; the end-to-end
# tests give C2 to very hot code only), EHR_JAVA_OPTS (extra JVM options), EHR_CDS (1: class data sharing, see cds_options; 0: off); for a new network also
# EHR_CHECKPOINT_INTERVAL (64 batches) and EHR_WATERMARK_WINDOW (256 batches); EHR_ONLY ("2 3 4") runs a subset
# here when the other replicas run elsewhere (ci/server-smoke.sh runs replica 1 on Payara Server).
#
# Database: EHR_DB=derby (the default: .cluster/node-N/ehrdb) or EHR_DB=postgresql, chosen when a network is
# created and kept with it (.cluster/database). PostgreSQL: installed from Debian's packages if missing; one server
# per network (data in .cluster/postgresql/, 127.0.0.1 port EHR_PG_PORT, default JGroups base + 50), started and
# stopped with the network, one database and role per replica (ehr1..ehr4) with a password generated once and kept
# in .cluster/node-N/db.password (mode 0600, never printed). A replica of a Derby network moved by
# move-to-postgresql runs on PostgreSQL from then on (.cluster/node-N/database), its peers stay on Derby.
# docs/OPERATIONS.md "Running on PostgreSQL".
#
# Link faults: EHR_LINK_PROXY=N (given to up or start; kept with the network in .cluster/link-proxy; EHR_LINK_PROXY=off
# forgets it) puts every replica's JGroups port behind a TCP proxy (one process, org.ehrledger.consensus.tool.LinkProxies,
# the proxy RepairIT uses; log .cluster/link-proxy.log, pid .cluster/link-proxy.pid): the replicas listen at JGroups base
# + 300 + (N-1) and advertise their genesis ports, where the proxies listen; replica N binds 127.0.0.3, so that the
# proxies tell its connections apart. The faults apply to every connection at replica N's port and to those replica N
# opened at the others' (its consensus links; its client channel and block sync go direct). `ci/cluster.sh link …`
# writes them to .cluster/link-proxy.control, which the proxies read every 200 ms (a benchmark may write it too);
# no network channel controls them. `down` stops the proxies.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

HOME_DIR=$(mkdir -p "${EHR_CLUSTER_HOME:-.cluster}" && cd "${EHR_CLUSTER_HOME:-.cluster}" && pwd)
GENESIS="$HOME_DIR/genesis"
HTTP_BASE=${EHR_HTTP_BASE:-8081}
JG_BASE=${EHR_JGROUPS_BASE:-7800}
HEAP=${EHR_REPLICA_HEAP:-512m}
START_TIMEOUT=${EHR_START_TIMEOUT:-300}
# Seconds to wait, once the replicas run, for their check of everything stored (it goes on in the background after).
INTEGRITY_WAIT=${EHR_INTEGRITY_WAIT:-20}
PAYARA_VERSION=6.2025.10
MICRO_JAR="$HOME/.m2/repository/fish/payara/extras/payara-micro/$PAYARA_VERSION/payara-micro-$PAYARA_VERSION.jar"
DERBY_VERSION=$(sed -n 's:.*<derby.version>\(.*\)</derby.version>.*:\1:p' pom.xml)
WAR="$ROOT/ehr-micro/target/ehr.war"
# The number of replicas: chosen by the first `up N` (default 4) and kept with the network (a network made before
# the number was recorded has 4).
if [ -f "$HOME_DIR/replicas" ]; then
  N=$(cat "$HOME_DIR/replicas")
elif [ "${1:-}" = up ] && [ ! -f "$GENESIS/genesis.properties" ]; then
  N=${2:-4}
else
  N=4
fi
if [ "${1:-}" = up ] && [ -n "${2:-}" ] && [ "$2" != "$N" ]; then
  printf '%s\n' "this network ($HOME_DIR) has $N replicas; $2 needs a network of its own (another EHR_CLUSTER_HOME)" >&2; exit 2
fi
case "$N" in 4|5|6|7) ;; *) printf '%s\n' "the number of replicas must be 4 to 7 (got '$N')" >&2; exit 2 ;; esac
ALL=$(seq -s ' ' 1 "$N")
read -r -a REPLICAS <<<"${EHR_ONLY:-$ALL}"   # EHR_ONLY: a subset run here (others run elsewhere)
PG_PORT=${EHR_PG_PORT:-$((JG_BASE + 50))}

say() { printf '%s\n' "$*" >&2; }

# The replica whose links are behind the proxies (EHR_LINK_PROXY, kept with the network), or empty.
LINK_PROXY_FILE="$HOME_DIR/link-proxy"
case "${EHR_LINK_PROXY:-}" in
  "") LP=$(cat "$LINK_PROXY_FILE" 2>/dev/null || true) ;;
  off|0) rm -f "$LINK_PROXY_FILE"; LP="" ;;
  *) if ! [[ "$EHR_LINK_PROXY" =~ ^[1-9]$ ]] || [ "$EHR_LINK_PROXY" -gt "$N" ]; then
       say "EHR_LINK_PROXY: a replica number 1-$N, or off (got '$EHR_LINK_PROXY')"; exit 2
     fi
     LP=$EHR_LINK_PROXY ;;
esac
FAULTY_HOST=127.0.0.3
hidden_port() { echo $((JG_BASE + 300 + $1 - 1)); }
url() { echo "http://127.0.0.1:$((HTTP_BASE + $1 - 1))"; }
node() { echo "$HOME_DIR/node-$1"; }
pid_of() { cat "$(node "$1")/replica.pid" 2>/dev/null || true; }
alive() { local p; p=$(pid_of "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
json_field() { sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\)\"\{0,1\}[,}].*/\1/p" <<<"$1" | head -1; }
json_text() { sed -E -n "s/.*\"$2\":\"(([^\"\\\\]|\\\\.)*)\".*/\1/p" <<<"$1" | head -1; }
cluster_json() { curl -sf -m 3 "$(url "$1")/api/v1/cluster" 2>/dev/null || true; }

# A damaged replica (its stored ledger was edited behind its back): what it says, and what to do.
say_damaged() {
  say "replica $1: $(json_text "$2" problem)"
  say "  next: $(json_text "$2" remedy)"
}

build() {
  if [ -n "${EHR_SKIP_BUILD:-}" ]; then   # set by the Maven build's own tests: the WAR was just built
    [ -f "$WAR" ] || { say "no $WAR: build it first (mvn -pl ehr-micro -am package)"; exit 1; }
  elif [ ! -f "$WAR" ] || [ -n "$(find ehr-consensus/src/main ehr-ejb/src/main ehr-war/src/main ehr-micro/pom.xml \
        -newer "$WAR" -type f 2>/dev/null | head -1)" ]; then
    say "building the application (the first build downloads dependencies; a few minutes)..."
    mvn -B -q -pl ehr-micro -am install -DskipTests -DskipITs >&2
  fi
  if [ ! -f "$MICRO_JAR" ]; then
    say "downloading Payara Micro $PAYARA_VERSION..."
    mvn -B -q dependency:get -Dartifact="fish.payara.extras:payara-micro:$PAYARA_VERSION" >&2
  fi
  if [ ! -f ehr-consensus/target/runtime-classpath.txt ]; then
    mvn -B -q -pl ehr-consensus -am package -DskipTests >&2
  fi
}

genesis() {
  if [ -f "$GENESIS/genesis.properties" ]; then return; fi
  say "creating the genesis of a new network (replica and client keys) in $GENESIS"
  java -cp "ehr-consensus/target/classes:$(cat ehr-consensus/target/runtime-classpath.txt)" \
    org.ehrledger.consensus.tool.GenesisTool "$GENESIS" "$N" 127.0.0.1 "$JG_BASE" "$N" \
    "${EHR_CHECKPOINT_INTERVAL:-64}" "${EHR_WATERMARK_WINDOW:-256}" >&2
}

# ---- The network's database: embedded Derby (per replica, nothing to run) or one PostgreSQL server per network.

# The database this network was created with (recorded at its first start; EHR_DB only chooses for a new one).
db_kind() {
  local recorded=""
  [ -f "$HOME_DIR/database" ] && recorded=$(cat "$HOME_DIR/database")
  if [ -z "$recorded" ]; then
    # a network started before databases were selectable has Derby databases already
    if compgen -G "$HOME_DIR/node-*/ehrdb" >/dev/null; then recorded=derby; fi
  fi
  local wanted=${EHR_DB:-${recorded:-derby}}
  case "$wanted" in derby|postgresql) ;; *) say "EHR_DB must be derby or postgresql (got '$wanted')"; exit 2 ;; esac
  if [ -n "$recorded" ] && [ "$wanted" != "$recorded" ]; then
    say "this network ($HOME_DIR) runs on $recorded; EHR_DB=$wanted needs a network of its own (another EHR_CLUSTER_HOME)"
    exit 2
  fi
  echo "$wanted"
}

# The database replica N runs on: the network's, unless the replica was moved (move-to-postgresql).
replica_db() {
  if [ -f "$(node "$1")/database" ]; then cat "$(node "$1")/database"; else echo "$DB"; fi
}

# The replicas whose databases live on the network's PostgreSQL server (all of a PostgreSQL network's).
pg_replicas() {
  local n out=()
  for n in $ALL; do [ "$(replica_db "$n")" = postgresql ] && out+=("$n"); done
  echo "${out[*]:-}"
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif sudo -n true 2>/dev/null; then sudo "$@"; else return 1; fi; }

# PostgreSQL's server programs (Debian keeps them out of PATH), installing the Debian packages if missing.
pg_bin() {
  local bin; bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$bin" ]; then
    say "installing PostgreSQL from Debian's packages (apt-get install postgresql)..."
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 \
      || { as_root apt-get update -qq >&2 && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2; } \
      || { say "PostgreSQL is not installed and could not be installed (needs root or sudo): apt-get install postgresql"; exit 1; }
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  echo "$bin"
}

# The server runs as the invoking user, or as the postgres system user when that is root (PostgreSQL refuses root).
pg_as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# Where the server's files live: .cluster/postgresql, unless the postgres user cannot reach that directory (a
# checkout under /root): then /var/lib/postgresql/ehr-ledger/<network>, recorded in .cluster/postgresql.dir.
pg_dir() {
  if [ -f "$HOME_DIR/postgresql.dir" ]; then cat "$HOME_DIR/postgresql.dir"; return; fi
  local dir="$HOME_DIR/postgresql"
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$HOME_DIR"; then
    dir="/var/lib/postgresql/ehr-ledger/$(basename "$HOME_DIR")-$(printf '%s' "$HOME_DIR" | sha256sum | cut -c1-12)"
    if [ -d "$dir" ]; then   # left by a network of the same path that was deleted since: not this one's
      runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
      rm -rf "$dir"
    fi
  fi
  echo "$dir" > "$HOME_DIR/postgresql.dir"
  echo "$dir"
}

secret() { head -c 32 /dev/urandom | base64 | tr -d '/+=\n' | head -c 32; }

# psql as the superuser over TCP, reading SQL from stdin (so no password appears on a command line).
pg_psql() {
  PGPASSFILE="$HOME_DIR/postgresql.pgpass" psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres \
    -d "${1:-postgres}" -f - >/dev/null
}

pg_running() { local dir; dir=$(pg_dir); [ -f "$dir/data/postmaster.pid" ] && pg_as "$(pg_bin)/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; }

# Creates the network's server once, starts it, and creates each replica's role and database once (replicas
# given as arguments, default all 4).
pg_up() {
  local bin dir wanted=("$@"); bin=$(pg_bin); dir=$(pg_dir)
  [ "${#wanted[@]}" -gt 0 ] || read -r -a wanted <<<"$ALL"
  command -v psql >/dev/null || { say "psql is missing: apt-get install postgresql-client"; exit 1; }
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    say "creating the network's PostgreSQL server in $dir (127.0.0.1:$PG_PORT)"
    (umask 077; secret > "$HOME_DIR/postgresql.password")
    (umask 077; printf '127.0.0.1:%s:*:postgres:%s\n' "$PG_PORT" "$(cat "$HOME_DIR/postgresql.password")" > "$HOME_DIR/postgresql.pgpass")
    mkdir -p "$dir"; chmod 700 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    (umask 077; cp "$HOME_DIR/postgresql.password" "$dir/pwfile")
    [ "$(id -u)" = 0 ] && chown postgres: "$dir/pwfile"
    pg_as "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" --auth=scram-sha-256 -E UTF8 --locale=C >/dev/null \
      || { rm -f "$dir/pwfile"; say "initdb failed"; exit 1; }
    rm -f "$dir/pwfile"
    # Only TCP on the loopback; enough connections for 4 replicas' pools; a failing statement is never logged
    # (it could be one that sets a password).
    pg_as tee -a "$dir/data/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = ''
max_connections = 200
log_min_error_statement = panic
CONF
  fi
  if ! pg_running; then
    pg_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgresql.log" -w -t 120 start >/dev/null \
      || { say "PostgreSQL did not start; its log: $dir/postgresql.log"; tail -n 20 "$dir/postgresql.log" >&2 || true; exit 1; }
  fi
  local n role
  for n in "${wanted[@]}"; do   # every replica's, also those run elsewhere against this server (EHR_ONLY)
    role="ehr$n"
    [ -f "$(node "$n")/db.password" ] && continue
    mkdir -p "$(node "$n")"
    (umask 077; secret > "$(node "$n")/db.password.new")
    pg_psql <<SQL
CREATE ROLE $role LOGIN PASSWORD '$(cat "$(node "$n")/db.password.new")';
CREATE DATABASE $role OWNER $role ENCODING 'UTF8';
REVOKE ALL ON DATABASE $role FROM PUBLIC;
SQL
    pg_psql "$role" <<SQL
ALTER SCHEMA public OWNER TO $role;
SQL
    mv "$(node "$n")/db.password.new" "$(node "$n")/db.password"
  done
}

pg_down() {
  local dir; dir=$(pg_dir)
  [ -f "$dir/data/postmaster.pid" ] || return 0
  pg_as "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# Replica N's data source settings (ReplicaDataSource), for its replica.properties.
db_properties() {
  [ "$(replica_db "$1")" = postgresql ] || return 0
  echo "ehr.db.url=jdbc:postgresql://127.0.0.1:$PG_PORT/ehr$1"
  echo "ehr.db.user=ehr$1"
  echo "ehr.db.password-file=$(node "$1")/db.password"
}

# Replica N's JGroups addresses behind the link proxies (EHR_LINK_PROXY), for its replica.properties.
link_properties() {
  [ -n "$LP" ] || return 0
  local host=127.0.0.1; [ "$1" = "$LP" ] && host=$FAULTY_HOST
  echo "ehr.jgroups.bind-address=$host"
  echo "ehr.jgroups.port=$(hidden_port "$1")"
  echo "ehr.jgroups.advertise=127.0.0.1:$((JG_BASE + $1 - 1))"
  echo "ehr.sync.bind-address=127.0.0.1"
  # the faulty replica's outgoing connections leave from its own address too
  [ "$1" = "$LP" ] && echo "ehr.jgroups.stack=$HOME_DIR/link-proxy-jgroups-tcp.xml"
  return 0
}

# Starts the link proxies (EHR_LINK_PROXY) unless they run.
proxy_up() {
  [ -n "$LP" ] || return 0
  local p; p=$(cat "$HOME_DIR/link-proxy.pid" 2>/dev/null || true)
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then return 0; fi
  sed 's/bind_port="${bind_port}"/bind_port="${bind_port}" client_bind_addr="${bind_addr}"/' \
    server-config/jgroups-tcp.xml > "$HOME_DIR/link-proxy-jgroups-tcp.xml"
  grep -q client_bind_addr "$HOME_DIR/link-proxy-jgroups-tcp.xml" \
    || { say "server-config/jgroups-tcp.xml has no bind_port=\"\${bind_port}\" to add client_bind_addr to"; exit 1; }
  local specs=() n
  for n in $ALL; do
    if [ "$n" = "$LP" ]; then specs+=("$((JG_BASE + n - 1)):$FAULTY_HOST:$(hidden_port "$n"):all")
    else specs+=("$((JG_BASE + n - 1)):127.0.0.1:$(hidden_port "$n")"); fi
  done
  [ -f "$HOME_DIR/link-proxy.control" ] || : > "$HOME_DIR/link-proxy.control"
  nohup java -Xmx128m -XX:-ReduceBulkZeroing -cp "ehr-consensus/target/classes:$(cat ehr-consensus/target/runtime-classpath.txt)" \
    org.ehrledger.consensus.tool.LinkProxies "$HOME_DIR/link-proxy.control" "$FAULTY_HOST" "${specs[@]}" \
    >> "$HOME_DIR/link-proxy.log" 2>&1 &
  echo $! > "$HOME_DIR/link-proxy.pid"
  say "replica $LP's links behind proxies (pid $!, log $HOME_DIR/link-proxy.log; faults: ci/cluster.sh link ...)"
}

proxy_down() {
  local p; p=$(cat "$HOME_DIR/link-proxy.pid" 2>/dev/null || true)
  [ -n "$p" ] && kill "$p" 2>/dev/null || true
  rm -f "$HOME_DIR/link-proxy.pid"
}

# The CAs a replica trusts for outgoing HTTPS: Payara Micro's bundled set less those that have expired since it was
# released. Payara checks its truststore when the application first uses TLS and logs every expired CA in full
# (about 60 lines each, 300 lines per start in December 2026). Kept in the user's cache, for every
# network of this machine; rebuilt when older than a day or than Payara Micro.
truststore() {
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/ehr-ledger" store tmp now alias until
  store="$cache/truststore-$PAYARA_VERSION.p12"
  if [ -f "$store" ] && [ -n "$(find "$store" -newer "$MICRO_JAR" -mmin -1440 2>/dev/null)" ]; then echo "$store"; return; fi
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/truststore.XXXXXX")
  (cd "$tmp" && jar xf "$MICRO_JAR" MICRO-INF/domain/cacerts.p12)
  now=$(date +%s)
  keytool -J-Duser.language=en -list -v -keystore "$tmp/MICRO-INF/domain/cacerts.p12" -storepass changeit 2>/dev/null \
    | awk '/^Alias name: /{a=$0; sub(/^Alias name: /, "", a)} /^Valid from: /{sub(/.*until: /, ""); print a "\t" $0}' \
    | while IFS=$'\t' read -r alias until; do
        if [ "$(date -d "$until" +%s 2>/dev/null || echo "$now")" -lt "$now" ]; then
          keytool -delete -alias "$alias" -keystore "$tmp/MICRO-INF/domain/cacerts.p12" -storepass changeit </dev/null >/dev/null 2>&1
        fi
      done
  mv "$tmp/MICRO-INF/domain/cacerts.p12" "$store"
  rm -rf "$tmp"
  echo "$store"
}

# Class data sharing: the classes a replica loaded (Payara's, the libraries', the application's) are archived when it
# stops normally (-XX:ArchiveClassesAtExit) and mapped at its next start instead of being read, parsed and verified
# again: about 2 s less per start, 15.5-16.0 s against 17.4-17.8 s to ready (docs/PERFORMANCE.md). The archive is made
# again after a build (when it is older than the WAR) or a Payara update; one that does not fit this JVM is ignored
# by the JVM, which then starts as without it. About 140 MB per replica in its data directory. EHR_CDS=0 turns it off.
cds_options() {
  local jsa="$1/classes.jsa"
  [ "${EHR_CDS:-1}" = 1 ] || return 0
  if [ -s "$jsa" ] && [ "$jsa" -nt "$WAR" ] && [ "$jsa" -nt "$MICRO_JAR" ]; then
    echo "-XX:SharedArchiveFile=$jsa -Xlog:cds*=off"
  else
    rm -f "$jsa"
    echo "-XX:ArchiveClassesAtExit=$jsa -Xlog:cds*=off"
  fi
}

start_one() {
  local n=$1 dir; dir=$(node "$n")
  if alive "$n"; then say "replica $n already running (pid $(pid_of "$n"))"; return; fi
  mkdir -p "$dir"
  # The effective system properties: the replica's file from server-config/, then this checkout's paths.
  { cat "server-config/replica-$n.properties"
    echo "ehr.data.dir=$dir"
    echo "ehr.genesis.dir=$GENESIS"
    echo "ehr.jgroups.stack=$ROOT/server-config/jgroups-tcp.xml"
    echo "ehr.jgroups.port=$((JG_BASE + n - 1))"
    echo "ehr.jgroups.client-port=$((JG_BASE + 100 + n - 1))"
    echo "ehr.sync.port=$((JG_BASE + 200 + n - 1))"
    echo "ehr.peer.urls=$(for p in $ALL; do url "$p"; done | paste -sd,)"
    echo "derby.system.home=$dir"
    echo "derby.stream.error.file=$dir/derby.log"
    db_properties "$n"
    link_properties "$n"
    # Metro's JMX monitoring of the SOAP endpoint: off. It cannot register its MBean under Payara Micro
    # anyway, and the reflection model it builds kept about 65 MB of each replica's heap alive.
    echo "com.sun.xml.ws.monitoring.endpoint=false"
    echo "com.sun.xml.ws.monitoring.client=false"
    # This replica's own overrides, last so that they win.
    if [ -f "$dir/local.properties" ]; then cat "$dir/local.properties"; fi
  } > "$dir/replica.properties"
  chmod 600 "$dir/replica.properties"
  rm -rf "$dir/payara-runtime"
  # Payara Micro keeps a truststore found in its root directory (and ignores -Djavax.net.ssl.trustStore).
  mkdir -p "$dir/payara-runtime/config" && cp "$(truststore)" "$dir/payara-runtime/config/cacerts.p12"
  # shellcheck disable=SC2086  # EHR_JAVA_OPTS: extra JVM options (e.g. a profiler agent), split on spaces
  # The JIT: C1 and C2 as the JVM has them (EHR_JIT_OPTS adds options; "-XX:TieredStopAtLevel=1" runs C1 only).
  # Once compiled (three or four minutes of load on this 2-core machine) C2 carries about 1.45 times C1's end-to-end
  # writes and 1.8 times its imports (docs/PERFORMANCE.md, "2026-12-04 night"). C1 only was the default until then:
  # earlier runs had found C2 no faster, measured within a minute of a start and with the array-copy fault below.
  # --nohazelcast: Payara's data grid is not started at all (--nocluster still ran a Hazelcast member of its own,
  # about 2 s of CPU per start and threads for good). Nothing of the application uses it: JGroups carries the
  # replication, sessions are in memory, there are no EJB timers (the data grid's timer store is replaced by
  # a dummy one).
  # -XX:-ReduceBulkZeroing: HotSpot 17's C2 (seen in 17.0.15) computes wrong values from a copy of an array that
  # Arrays.copyOfRange has just made; with this option it does not (docs/OPERATIONS.md, "JVM options"). C1 alone is
  # not affected; the option is passed always.
  local cds; cds=$(cds_options "$dir")
  echo "$(date '+%F %T') cluster.sh: java ${EHR_JIT_OPTS:-(C1 and C2)} ${EHR_JAVA_OPTS:+(EHR_JAVA_OPTS) }-Xmx$HEAP${cds:+ (class data sharing: ${cds%% *})}" >> "$dir/replica.log"
  nohup java ${EHR_JIT_OPTS:-} ${EHR_JAVA_OPTS:-} $cds "-Xmx$HEAP" -Xms256m -XX:+ExitOnOutOfMemoryError -XX:+UseParallelGC -XX:ParallelGCThreads=2 -XX:-ReduceBulkZeroing -Djava.net.preferIPv4Stack=true \
    -jar "$MICRO_JAR" --nohazelcast --disablephonehome --port "$((HTTP_BASE + n - 1))" \
    --rootdir "$dir/payara-runtime" --systemproperties "$dir/replica.properties" \
    --logproperties "$ROOT/server-config/logging.properties" \
    --deploy "$WAR" --contextroot / >> "$dir/replica.log" 2>&1 &
  echo $! > "$dir/replica.pid"
  say "replica $n starting (pid $!, HTTP $(url "$n"), log $dir/replica.log)"
}

# Waits until the given replicas run, see each other, agree on the view; prints progress.
wait_ready() {
  local deadline=$((SECONDS + START_TIMEOUT)) n all_running=""
  while :; do
    local ready=0 running=0 views=() detail=""
    for n in "$@"; do
      if ! alive "$n"; then
        say ""; say "replica $n exited during start-up; last log lines:"; tail -n 30 "$(node "$n")/replica.log" >&2; exit 1
      fi
      local j; j=$(cluster_json "$n")
      local state; state=$(json_field "$j" state)
      if [ "$state" = damaged ]; then say ""; say_damaged "$n" "$j"; exit 1; fi
      local members; members=$(sed -n 's/.*"members":\[\([0-9,]*\)\].*/\1/p' <<<"$j")
      detail+=" $n:${state:-booting}"
      if [ "$state" = running ] && [ "$(tr ',' '\n' <<<"$members" | grep -c .)" -ge "$N" ]; then
        running=$((running + 1)); views+=("$(json_field "$j" view)")
        # The check of everything stored runs after the start, while the replica serves: wait for it a little
        # (EHR_INTEGRITY_WAIT seconds), so that damage in a small database is reported here.
        if [ "$(json_field "$j" integrity)" = checking ] && [ -z "$all_running" -o $((SECONDS - ${all_running:-0})) -lt "$INTEGRITY_WAIT" ]; then
          detail+="(checking)"
        else
          ready=$((ready + 1))
        fi
      fi
    done
    printf '\r  waiting for replicas (%ds):%s   ' "$((SECONDS))" "$detail" >&2
    if [ "$running" -eq "$#" ] && [ -z "$all_running" ]; then all_running=$SECONDS; fi
    if [ "$ready" -eq "$#" ] && [ "$(printf '%s\n' "${views[@]}" | sort -u | wc -l)" -eq 1 ]; then
      say ""
      for n in "$@"; do
        if [ "$(json_field "$(cluster_json "$n")" integrity)" = checking ]; then
          say "replica $n serves; the check of its stored chain, state and contents continues in the background ($(json_text "$(cluster_json "$n")" integrityProgress); GET /api/v1/cluster)"
        fi
      done
      return
    fi
    if [ $SECONDS -ge $deadline ]; then
      say ""; say "replicas did not form a network within ${START_TIMEOUT}s; last log lines:"
      for n in "$@"; do say "--- replica $n"; grep -E "SEVERE|WARNING|Exception" "$(node "$n")/replica.log" | tail -n 8 >&2 || true; done
      exit 1
    fi
    sleep 2
  done
}

# Seeds the first administrator of the genesis organisation (replica 1) once: the bootstrap answers their one-time
# enrolment code, with which this script completes their enrolment under a password it generates and prints once
# (the operator's own; the code never leaves the script). The administrator's keys are rotated on chain then.
seed_admin() {
  local marker="$HOME_DIR/admin-seeded"
  [ -f "$marker" ] && return
  local dir secret answer; dir=$(node 1)
  secret=$(head -c 32 /dev/urandom | base64 | tr -d '/+=\n')
  (umask 077; printf '%s\n' "$secret" > "$dir/bootstrap.token")
  answer=$(curl -s -m 60 -X POST -H 'Content-Type: application/json' -H "X-Bootstrap-Secret: $secret" \
    -d '{"adminId":"admin","name":"Network Administrator"}' "$(url 1)/api/v1/bootstrap")
  local code; code=$(json_field "$answer" enrolmentCode)
  if [ -z "$code" ]; then say "seeding the administrator failed: $answer"; exit 1; fi
  local password; password=$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n' | head -c 24)
  local enrolled; enrolled=$(curl -s -m 60 -X POST -H 'Content-Type: application/json' \
    -d "{\"userId\":\"admin\",\"code\":\"$code\",\"password\":\"$password\"}" "$(url 1)/api/v1/enrolments")
  if [ "$(json_field "$enrolled" userId)" != admin ]; then say "enrolling the administrator failed: $enrolled"; exit 1; fi
  touch "$marker"
  echo
  echo "  First administrator (shown once; change the password under My account after signing in):"
  echo "    user id:  admin"
  echo "    password: $password"
  echo "    organisation: $(json_field "$answer" organisation) (replica 1)"
  echo
}

# Waits until every replica stores the same head (the genesis organisation's block included).
wait_converged() {
  local deadline=$((SECONDS + 120)) n
  while :; do
    local heads=() heights=()
    for n in "$@"; do
      local j; j=$(cluster_json "$n"); heads+=("$(json_field "$j" headHash)"); heights+=("$(json_field "$j" height)")
    done
    if [ "$(printf '%s\n' "${heads[@]}" | sort -u | wc -l)" -eq 1 ] && [ "${heights[0]:-0}" -ge 1 ]; then return; fi
    [ $SECONDS -ge $deadline ] && { say "replicas did not converge: heights ${heights[*]}"; return 1; }
    sleep 1
  done
}

status() {
  printf '%-8s %-7s %-10s %5s %7s %9s %7s %10s %-14s %s\n' replica pid state view primary executed height checkpoint head members
  for n in "${REPLICAS[@]}"; do
    if ! alive "$n"; then printf '%-8s %-7s %s\n' "$n" - DOWN; continue; fi
    local j; j=$(cluster_json "$n")
    if [ -z "$j" ]; then printf '%-8s %-7s %s\n' "$n" "$(pid_of "$n")" starting; continue; fi
    if [ "$(json_field "$j" state)" = damaged ]; then
      printf '%-8s %-7s %-10s %s\n' "$n" "$(pid_of "$n")" damaged "$(json_text "$j" problem)"
      printf '%-8s %-7s %-10s %s\n' "" "" "" "next: $(json_text "$j" remedy)"
      continue
    fi
    printf '%-8s %-7s %-10s %5s %7s %9s %7s %10s %-14s %s\n' "$n" "$(pid_of "$n")" "$(json_field "$j" state)" \
      "$(json_field "$j" view)" "$(( $(json_field "$j" primary) + 1 ))" "$(json_field "$j" lastExecuted)" \
      "$(json_field "$j" height)" "$(json_field "$j" stableCheckpoint)" "$(json_field "$j" headHash | cut -c1-12)" \
      "$(sed -n 's/.*"members":\[\([0-9,]*\)\].*/\1/p' <<<"$j" | awk -F, '{for(i=1;i<=NF;i++) printf "%s%d", (i>1?",":""), $i+1}')"
  done
  echo "(replica numbers 1-$N; the primary and members are shown in the same numbering)"
}

stop_one() {
  local n=$1 p; p=$(pid_of "$n")
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
    kill "$p" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$p" 2>/dev/null || true
  fi
  rm -f "$(node "$n")/replica.pid"
}

# Runs SQL statements on a stopped replica's Derby database with Derby's ij tool; fails on any SQL error.
derby_sql() {
  local db=$1 sql=$2 cp="" a out
  for a in derby derbytools derbyshared; do
    local jar="$HOME/.m2/repository/org/apache/derby/$a/$DERBY_VERSION/$a-$DERBY_VERSION.jar"
    [ -f "$jar" ] || mvn -B -q dependency:get -Dartifact="org.apache.derby:$a:$DERBY_VERSION" >&2
    cp+="$jar:"
  done
  out=$(printf "connect 'jdbc:derby:%s';\n%s\nexit;\n" "$db" "$sql" | java -Dderby.infolog.append=true \
    -Dderby.stream.error.file="$(dirname "$db")/derby.log" -cp "$cp" org.apache.derby.tools.ij 2>&1)
  if grep -q "ERROR" <<<"$out"; then say "$out"; say "the database $db was not changed as intended"; exit 1; fi
}

# The tables of the replicated ledger in a replica's database (blocks, entries, record contents, executed
# sequence), rebuilt from the peers by a repair. Every other table is the replica's own and stays: ACCOUNT
# (the local accounts with their sealed keys), the stored idempotent answers.
# The replicated ledger: blocks, contents, meta, and the world-state tables (docs/STATE.md).
LEDGER_TABLES="LEDGER_ENTRY LEDGER_BLOCK RECORD_CONTENT LEDGER_META STATE_DIGEST STATE_ORGANISATION STATE_USER STATE_RECORD"
LEDGER_TABLES+=" STATE_KEY_WRAP STATE_CONSENT STATE_BREAK_GLASS STATE_ACCESS_EVENT STATE_BILLED STATE_SEEN_TX"
LEDGER_TABLES+=" STATE_EMERGENCY_VOTE STATE_EMERGENCY STATE_ADMISSION_VOTE STATE_RECOVERY STATE_RECOVERED"

# The head most of the given running replicas report ("height hash"), if at least two agree on it.
peer_head() {
  local p j
  for p in "$@"; do
    j=$(cluster_json "$p")
    [ "$(json_field "$j" state)" = running ] && echo "$(json_field "$j" height) $(json_field "$j" headHash)"
  done | sort | uniq -c | sort -rn | awk '$1 >= 2 {print $2, $3; exit}'
}

repair() {
  local n=$1 dir p peers=() j kind; dir=$(node "$n"); kind=$(replica_db "$n")
  if [ "$kind" = postgresql ]; then
    [ -f "$dir/db.password" ] || { say "replica $n has no database yet: nothing to repair (start it)"; exit 1; }
    pg_up $(pg_replicas)
  else
    [ -d "$dir/ehrdb" ] || { say "replica $n has no database in $dir: nothing to repair (start it)"; exit 1; }
  fi
  for p in $ALL; do
    [ "$p" = "$n" ] && continue
    [ "$(json_field "$(cluster_json "$p")" state)" = running ] && peers+=("$p")
  done
  if [ "${#peers[@]}" -lt 2 ]; then
    say "replica $n is rebuilt from its peers: at least 2 of them must be running (running: ${peers[*]:-none})"; exit 1
  fi
  j=$(cluster_json "$n")
  if [ "$(json_field "$j" state)" = damaged ]; then say_damaged "$n" "$j"; fi
  say "stopping replica $n"
  stop_one "$n"
  local aside; aside="$dir/damaged-$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$aside"
  # The whole database as it was (ledger and local tables) and the consensus log: nothing is deleted.
  if [ "$kind" = postgresql ]; then
    (umask 077; PGPASSFILE="$HOME_DIR/postgresql.pgpass" pg_dump -h 127.0.0.1 -p "$PG_PORT" -U postgres "ehr$n" > "$aside/ehr$n.sql")
  else
    cp -a "$dir/ehrdb" "$aside/"
  fi
  if [ -d "$dir/consensus" ]; then cp -a "$dir/consensus" "$aside/"; fi
  if [ -f "$dir/replica.log" ]; then cp -a "$dir/replica.log" "$aside/"; fi
  say "replica $n's data as it was: $aside"
  local t sql=""; for t in $LEDGER_TABLES; do sql+="DELETE FROM $t;"$'\n'; done
  if [ "$kind" = postgresql ]; then
    printf '%s' "$sql" | pg_psql "ehr$n"
  else
    derby_sql "$dir/ehrdb" "$sql"
  fi
  say "emptied its ledger ($LEDGER_TABLES); kept its keys, configuration, organisation keys, accounts and consensus log"
  start_one "$n"
  local start=$SECONDS deadline=$((SECONDS + START_TIMEOUT))
  while :; do
    if ! alive "$n"; then say ""; say "replica $n exited while rebuilding; last log lines:"; tail -n 30 "$dir/replica.log" >&2; exit 1; fi
    j=$(cluster_json "$n")
    local state height head target; state=$(json_field "$j" state); height=$(json_field "$j" height)
    head=$(json_field "$j" headHash); target=$(peer_head "${peers[@]}")
    if [ "$state" = damaged ]; then say ""; say_damaged "$n" "$j"; exit 1; fi
    printf '\r  rebuilding replica %s from replicas %s (%ds): %s, height %s of %s   ' "$n" "${peers[*]}" \
      "$((SECONDS - start))" "${state:-booting}" "${height:--}" "${target%% *}" >&2
    if [ "$state" = running ] && [ -n "$target" ] && [ "$height $head" = "$target" ]; then
      say ""
      echo "replica $n repaired: height $height, head $head, the same as replicas ${peers[*]} (stable checkpoint $(json_field "$j" stableCheckpoint))"
      echo "its damaged data is kept in $aside"
      return
    fi
    if [ $SECONDS -ge $deadline ]; then
      say ""; say "replica $n did not reach its peers' head ${target:-?} within ${START_TIMEOUT}s; its log: $dir/replica.log"; exit 1
    fi
    sleep 2
  done
}

# Moves replica N's Derby database into a PostgreSQL database of its own with the application's DatabaseMove
# tool (run from the WAR's libraries), then switches the replica to it; the Derby database is kept, renamed.
move_to_postgresql() {
  local n=$1 dir; dir=$(node "$n")
  [ "$(replica_db "$n")" = derby ] || { say "replica $n runs on PostgreSQL already (database ehr$n)"; exit 2; }
  [ -d "$dir/ehrdb" ] || { say "replica $n has no Derby database in $dir/ehrdb: nothing to move (start it once first)"; exit 1; }
  if alive "$n"; then say "stopping replica $n"; stop_one "$n"; fi
  pg_up "$n"
  local tools; tools=$(mktemp -d "$HOME_DIR/tools.XXXXXX")
  (cd "$tools" && jar xf "$WAR" WEB-INF/lib)
  say "moving replica $n's database $dir/ehrdb to PostgreSQL database ehr$n at 127.0.0.1:$PG_PORT"
  local status=0
  java -Dderby.stream.error.file="$dir/derby.log" -Dderby.infolog.append=true -cp "$tools/WEB-INF/lib/*" \
    org.ehrledger.ejb.infrastructure.persistence.jpa.DatabaseMove --from "jdbc:derby:$dir/ehrdb" \
    --to "jdbc:postgresql://127.0.0.1:$PG_PORT/ehr$n" --to-user "ehr$n" --to-password-file "$dir/db.password" || status=$?
  rm -rf "$tools"
  if [ "$status" -ne 0 ]; then
    say "replica $n was not moved: it stays on its Derby database $dir/ehrdb (start it with ci/cluster.sh start $n)"
    exit 1
  fi
  local aside; aside="$dir/ehrdb-moved-$(date -u +%Y%m%dT%H%M%SZ)"
  mv "$dir/ehrdb" "$aside"
  echo postgresql > "$dir/database"
  echo "replica $n moved to PostgreSQL (database ehr$n at 127.0.0.1:$PG_PORT); its Derby database is kept in $aside"
  echo "start it with: ci/cluster.sh start $n"
}

DB=$(db_kind)

check_n() { if ! [[ "${1:-}" =~ ^[1-9]$ ]] || [ "$1" -gt "$N" ]; then say "replica number 1-$N expected"; exit 2; fi; }

cmd=${1:-}
case "$cmd" in
  up)
    command -v java >/dev/null && command -v mvn >/dev/null && command -v curl >/dev/null || {
      say "java 17, maven and curl are needed: run ci/test.sh once (it installs them) or apt-get install openjdk-17-jdk-headless maven curl"; exit 1; }
    build
    genesis
    echo "$DB" > "$HOME_DIR/database"
    echo "$N" > "$HOME_DIR/replicas"
    if [ -n "$(pg_replicas)" ]; then pg_up $(pg_replicas); fi
    [ -n "$LP" ] && echo "$LP" > "$LINK_PROXY_FILE"
    proxy_up
    for n in "${REPLICAS[@]}"; do start_one "$n"; done
    wait_ready "${REPLICAS[@]}"
    if [ "${REPLICAS[0]}" = 1 ]; then seed_admin; wait_converged "${REPLICAS[@]}" || true; fi
    status
    echo
    echo "  Portal:        $(url 1)/   (replicas 2-$N: $(for p in $(seq 2 "$N"); do printf '%s/ ' "$(url "$p")"; done))"
    echo "  JSON API:      $(url 1)/api/v1/   e.g. curl $(url 1)/api/v1/cluster"
    if [ -n "$(pg_replicas)" ]; then
      echo "  Databases:     PostgreSQL at 127.0.0.1:$PG_PORT (replicas $(pg_replicas): ehrN), server files in $(pg_dir)"
    fi
    echo "  Stop with ci/cluster.sh down; data stays in $HOME_DIR"
    ;;
  status) status ;;
  database)
    [ -n "$(pg_replicas)" ] || { say "this network's replicas use embedded Derby: no database server to start"; exit 2; }
    echo "$DB" > "$HOME_DIR/database"; pg_up $(pg_replicas)
    echo "PostgreSQL at 127.0.0.1:$PG_PORT (databases of replicas $(pg_replicas)), server files in $(pg_dir)"
    ;;
  kill)
    check_n "${2:-}"; p=$(pid_of "$2"); [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; rm -f "$(node "$2")/replica.pid"
    echo "replica $2 killed (SIGKILL)"
    ;;
  start)
    check_n "${2:-}"; build; if [ -n "$(pg_replicas)" ]; then pg_up $(pg_replicas); fi
    [ -n "$LP" ] && echo "$LP" > "$LINK_PROXY_FILE"
    proxy_up; start_one "$2"; wait_ready "$2"; status ;;
  link)
    [ -n "$LP" ] || { say "this network's links are not behind proxies: start it with EHR_LINK_PROXY=N ci/cluster.sh up"; exit 2; }
    shift
    for f in "$@"; do
      [[ "$f" =~ ^(delay=[0-9]{1,5}|reset=(0(\.[0-9]+)?|1(\.0+)?|\.[0-9]+)|stall=[01])$ ]] \
        || { say "link faults: delay=MS reset=FRACTION stall=0|1 (got '$f')"; exit 2; }
    done
    printf '%s\n' "$*" > "$HOME_DIR/link-proxy.control.new" && mv "$HOME_DIR/link-proxy.control.new" "$HOME_DIR/link-proxy.control"
    echo "replica $LP's links: ${*:-sound}"
    ;;
  stop)
    check_n "${2:-}"; stop_one "$2"; echo "replica $2 stopped" ;;
  repair)
    check_n "${2:-}"; build; repair "$2" ;;
  move-to-postgresql)
    check_n "${2:-}"; build; move_to_postgresql "$2" ;;
  down)
    for n in "${REPLICAS[@]}"; do stop_one "$n" & done; wait
    proxy_down
    # the server, if the network has one (also one created by a move that was refused)
    if [ -n "$(pg_replicas)" ] || [ -f "$HOME_DIR/postgresql.dir" ]; then pg_down; fi
    echo "network stopped (data kept in $HOME_DIR)"
    ;;
  logs)
    check_n "${2:-}"; tail -f "$(node "$2")/replica.log" ;;
  *)
    sed -n '2,/^set -e/{/^#/p}' "$0"; exit 2 ;;
esac
