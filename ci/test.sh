#!/usr/bin/env bash
# The test command documented in README.md and run by CI (.ci/run): installs what is missing on a
# fresh Debian machine, then runs every test of every module with `mvn -B verify` (unit tests, the
# in-container tests on Payara Micro, the end-to-end tests of a 4-replica network through its JSON API and
# through the portal in headless Chromium, on embedded Derby, and the end-to-end network test NetworkIT once
# more with each replica on its own PostgreSQL database), then the smoke test
# of the EAR on Payara Server (ci/server-smoke.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v unzip >/dev/null 2>&1 || need_apt+=(unzip)
# The portal's browser tests drive Debian's headless Chromium through Debian's chromedriver.
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
# NetworkIT on PostgreSQL: Debian's server (ci/cluster.sh runs one per network) and psql.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need_apt+=(postgresql)
command -v psql >/dev/null 2>&1 || need_apt+=(postgresql-client)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing ${need_apt[*]} ..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = //p')
if [ "${java_major:-0}" -lt 17 ]; then
  echo "Java 17 or newer is required (found ${java_major:-none}); install openjdk-17-jdk-headless" >&2
  exit 1
fi

echo "running mvn -B verify (all modules, all tests; NetworkIT on Derby and on PostgreSQL)..."
mvn -B verify -Dit.postgresql.skip=false "$@"

echo "running the Payara Server smoke test (ci/server-smoke.sh)..."
bash ci/server-smoke.sh
