#!/usr/bin/env bash
# Mirror failover benchmark, side by side with keepalived in one lab run (root; network namespaces only).
# usage: bench/mirror/run.sh [rounds=10] [power]  failover times, keepalived beside (power: power-loss rows, keepalived VRRPv3, tuned kill -9)
#        bench/mirror/run.sh soak [minutes=10]  false failovers with both cores saturated (stress-ng)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 64; }
. scripts/lib/common.sh
find_jdk
for t in keepalived python3 socat curl stress-ng; do command -v "$t" >/dev/null || { echo "missing $t (apt-get install $t)" >&2; exit 69; }; done
# one reactor build: the agents run node/target/steadfast.jar, the bench runs from node's test classes
mvn -q -pl node -am package -DskipTests dependency:build-classpath -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test
CP="node/target/test-classes:node/target/classes:$(cat node/target/bench.cp)"
exec "$JAVA_HOME/bin/java" -cp "$CP" io.steadfast.node.bench.MirrorFailoverBench "$@"
