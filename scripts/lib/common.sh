# Shared by ./steadfast and scripts/test: find JDK 25 and build the runnable jar.
# shellcheck shell=bash

STEADFAST_JDK_MAJOR=25

# Prints the major version of the JDK in $1 (0 when it is not a JDK).
jdk_major() {
  local home=$1 v
  # a JRE is enough when nothing is to be built (STEADFAST_NO_BUILD: container images, packages)
  [ -x "$home/bin/java" ] && { [ -x "$home/bin/javac" ] || [ -n "${STEADFAST_NO_BUILD:-}" ]; } || { echo 0; return; }
  v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release" 2>/dev/null)
  echo "${v:-0}"
}

# Sets JAVA_HOME to a JDK >= 25: JAVA_HOME when it is one, else the newest in /usr/lib/jvm.
find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ "$(jdk_major "$JAVA_HOME")" -ge "$STEADFAST_JDK_MAJOR" ]; then
    export JAVA_HOME; return 0
  fi
  local best="" best_v=0 d v
  for d in /usr/lib/jvm/*; do
    [ -d "$d" ] || continue
    v=$(jdk_major "$d")
    if [ "$v" -ge "$STEADFAST_JDK_MAJOR" ] && [ "$v" -gt "$best_v" ]; then best=$d; best_v=$v; fi
  done
  if [ -z "$best" ]; then
    cat >&2 <<MSG
steadfast: no JDK $STEADFAST_JDK_MAJOR found (JAVA_HOME=${JAVA_HOME:-unset}, nothing suitable in /usr/lib/jvm).
Install one, for example:
  apt-get install temurin-25-jdk      (Adoptium's Debian repository), or
  apt-get install openjdk-25-jdk      (Debian testing/backports),
then run again, or point JAVA_HOME at it.
MSG
    return 1
  fi
  export JAVA_HOME=$best
}

# Builds node/target/steadfast.jar when it is missing or older than any source (quietly, tests skipped).
build_jar() {
  local root=$1 jar=$1/node/target/steadfast.jar
  if [ -f "$jar" ] && [ -z "$(find "$root" -name target -prune -o \( -path '*/src/*' -o -name pom.xml \) -newer "$jar" -print -quit)" ]; then
    return 0
  fi
  command -v mvn >/dev/null || { echo "steadfast: Maven is needed to build (apt-get install maven)" >&2; return 1; }
  echo "steadfast: building (first use or sources changed)…" >&2
  (cd "$root" && mvn -B -q -DskipTests -Dmaven.test.skip.exec=true package 2>&1 | grep -v -e 'WARNING' -e '^.\[0m' >&2) || true
  [ -f "$jar" ] && [ "$jar" -nt "$root/pom.xml" ] || { echo "steadfast: build failed (run: mvn -B package)" >&2; return 1; }
}

# Installs the Debian packages listed in the files given (one per line, # comments) that are not installed yet.
# Needs root; prints what it installs. Returns non-zero when apt-get fails.
install_packages() {
  local f p missing=()
  for f in "$@"; do
    while read -r p; do
      p=${p%%#*}; p=${p//[[:space:]]/}
      [ -n "$p" ] || continue
      dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done <"$f"
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  echo "steadfast: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
