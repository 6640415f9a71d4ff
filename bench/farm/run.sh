#!/usr/bin/env bash
# Farm benchmark: share per node with 200 client addresses, membership change -> verdicts in the kernel, and
# requests/s through the VIP + filter vs the same node without it. Root: it builds a lab of network namespaces
# (198.18.0.0/15 only) and removes it at the end, also on Ctrl-C/TERM (trap + the JVM's shutdown hook).
# usage: bench/farm/run.sh [rounds=50] [wrk-rounds=3] [wrk-seconds=8] [share-seeds=20] [simulated-trials=10000]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "run as root (network namespaces)" >&2; exit 64; }
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q 'version "2[5-9]'; then
  JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
export JAVA_HOME
for t in wrk nft ip curl python3; do command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 69; }; done
# in one reactor build, so that sibling modules resolve to their target/classes (never mvn install here)
mvn -q -pl vip-svc,lb-filter-svc -am test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test
CP="lb-filter-svc/target/test-classes:lb-filter-svc/target/classes:$(cat lb-filter-svc/target/bench.cp)"
pid=""
cleanup() { if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" || true; fi; }
trap cleanup EXIT INT TERM
"$JAVA_HOME/bin/java" -cp "$CP" io.steadfast.lbfilter.impl.FarmBench "$@" &
pid=$!
wait "$pid"
