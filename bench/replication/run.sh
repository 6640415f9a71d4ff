#!/bin/sh
# Replicated mount vs local disk, side by side in one run. Needs root (FUSE, mount namespaces), JDK 25,
# fuse3 libfuse3-3 rsync. Usage: bench/replication/run.sh [tree MiB, default 2048] [SECOND|NONE]
# [measures, default seq,lat,small,resync]
set -eu
cd "$(dirname "$0")/../.."
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export JAVA_HOME
ROOT=$(pwd)
mvn -q -o -pl replication-svc -am test-compile dependency:build-classpath \
    -Dmdep.outputFile="$ROOT/replication-svc/target/bench.cp" -Dmdep.includeScope=test
CP="$ROOT/replication-svc/target/classes:$ROOT/replication-svc/target/test-classes:$(cat "$ROOT/replication-svc/target/bench.cp")"
# BENCH_JAVA_OPTS: extra options of the driver JVM, e.g. -Dsf.node.jvmopts=... for the nodes (profiling)
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED ${BENCH_JAVA_OPTS:-} -cp "$CP" \
    io.steadfast.replication.impl.ReplicationBench bench/replication "${1:-2048}" "${2:-SECOND}" "${3:-seq,lat,small,resync}"
