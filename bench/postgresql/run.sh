#!/usr/bin/env bash
# PostgreSQL on a mirror with real node agents and replication (issue 15, item 4): pgbench TPC-B tps with the data
# directory on the replicated directory (through the VIP) vs a plain local directory of the same node, alternating,
# in one run; then N power losses of the primary (links cut, agent and postmaster tree killed -9) with a ledger
# client: time from the cut to the first transaction committed through the VIP on the other node (p50/p95), and
# acknowledged rows missing (must be 0). Root: it builds a lab of network namespaces (198.18.0.0/15 only) and
# removes it at the end. Offline build (Maven 3.8 too): MAVEN_ARGS=-o bench/postgresql/run.sh …
# usage: bench/postgresql/run.sh [rounds=5] [pgbench-seconds=20] [pgbench-runs=2] [clients=2]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 64; }
. scripts/lib/common.sh
find_jdk
for t in nft ip curl nsenter; do command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 69; }; done
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || { echo "install the Debian package postgresql" >&2; exit 69; }
# one reactor build (test classes compiled too): the agents run node/target/steadfast.jar (every runtime dependency
# inside), the bench runs from node's test classes with the two test-only jars it needs (no dependency plugin, so
# that an offline build works)
mvn ${MAVEN_ARGS:-} -q -pl node -am package -DskipTests
assertj=$(sed -n 's:.*<assertj.version>\(.*\)</assertj.version>.*:\1:p' pom.xml)
m2=${M2_REPO:-$HOME/.m2/repository}
CP="$PWD/node/target/test-classes:$PWD/node/target/steadfast.jar:$(ls "$PWD"/common/target/steadfast-common-*-tests.jar)"
CP="$CP:$m2/org/assertj/assertj-core/$assertj/assertj-core-$assertj.jar"
cd node   # the lab helpers find the repository and the templates from node/, as the integration tests do
pid=""
cleanup() { if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" || true; fi; }
trap cleanup EXIT INT TERM
"$JAVA_HOME/bin/java" -cp "$CP" io.steadfast.node.mirror.PostgresMirrorBench "$@" &
pid=$!
wait "$pid"
