#!/usr/bin/env bash
# Farm recovery benchmark with real node agents: kill -9 of a node's agent -> its clients served by the others
# (end to end), and declared dead -> buckets owned elsewhere (from the agents' logs). Root: it builds a lab of
# network namespaces (198.18.0.0/15 only) and removes it at the end (try-with-resources + JVM shutdown hook).
# usage: bench/farm/recovery.sh [rounds=5]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 64; }
. scripts/lib/common.sh
find_jdk
for t in nft ip curl python3 socat; do command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 69; }; done
# one reactor build: the agents run node/target/steadfast.jar, the bench runs from node's test classes
mvn -q -pl node -am package -DskipTests dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test
CP="node/target/test-classes:node/target/classes:$(cat node/target/bench.cp)"
pid=""
cleanup() { if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" || true; fi; }
trap cleanup EXIT INT TERM
"$JAVA_HOME/bin/java" -cp "$CP" io.steadfast.node.farm.FarmRecoveryBench "$@" &
pid=$!
wait "$pid"
