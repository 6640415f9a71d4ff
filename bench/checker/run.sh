#!/bin/sh
# checker-svc benchmark: death -> restart request latency, CPU with 50 checkers at 1 s.
# Usage: bench/checker/run.sh [runs] [cpu-seconds]   (from the repository root; builds checker-svc first)
set -eu
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
export JAVA_HOME
cp=$(mktemp)
trap 'rm -f "$cp"' EXIT
mvn -q -o -pl checker-svc -am test-compile dependency:build-classpath -Dmdep.outputFile="$cp" -Dmdep.includeScope=test
"$JAVA_HOME/bin/java" -cp "checker-svc/target/classes:checker-svc/target/test-classes:$(cat "$cp")" \
  -Dlogback.configurationFile=checker-svc/src/test/resources/logback-test.xml \
  bench/checker/CheckerBench.java "$@"
