#!/usr/bin/env bash
# Memory of console-svc alone: `steadfast svc console` (its own JVM, clustered Vert.x + Hazelcast, the launcher's
# JVM flags) on loopback, after 200 rounds of API/page/metrics requests and an SSE client. Prints RSS and the heap
# in use after a full GC. Starts one JVM, kills it by PID, removes its temp dir. Usage: console-svc/bench/memory.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/sf-console-mem.XXXXXX)
pid=""; ssepid=""
cleanup() {
  [ -n "$ssepid" ] && kill "$ssepid" 2>/dev/null || true
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
port=$((19400 + RANDOM % 500))
head -c 32 /dev/urandom | base64 > "$tmp/secret"
chmod 600 "$tmp/secret"
cat > "$tmp/steadfast.yml" <<YML
cluster:
  name: mem-$RANDOM
  secret_file: $tmp/secret
  state_dir: $tmp/state
  bus: { port: $((port + 1000)) }
  console: { port: $port, bind: 127.0.0.1 }
  nodes:
    - { name: node1, addr: 127.0.0.1 }
    - { name: node2, addr: 127.0.0.2 }
modules:
  - name: web
    type: farm
    nodes: [node1, node2]
    heartbeat: { port: $((port + 2000)) }
    vip: { addr: 198.18.0.80/24, interface: eth0 }
    farm: { rules: [ { proto: tcp, port: 80 } ] }
YML
STEADFAST_NO_BUILD=1 "$root/steadfast" svc console --config "$tmp/steadfast.yml" --node node1 > "$tmp/console.log" 2>&1 &
pid=$!
up=0
for _ in $(seq 1 600); do if curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/cluster"; then up=1; break; fi; sleep 0.1; done
[ "$up" = 1 ] || { echo "the console did not start:"; tail -20 "$tmp/console.log"; exit 1; }
curl -sN "http://127.0.0.1:$port/api/v1/events" > /dev/null & ssepid=$!
for _ in $(seq 1 200); do
  for p in /api/v1/cluster /api/v1/modules/web /metrics / /app.js /health; do
    curl -s -o /dev/null "http://127.0.0.1:$port$p"
  done
done
jpid=$(pgrep -P "$pid" java || echo "$pid")
"${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/jcmd" "$jpid" GC.run > /dev/null
sleep 1
heap=$("${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/jcmd" "$jpid" GC.heap_info | awk '/total [0-9]+K, used/ { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub(/K.*/, "", v); u += v } } END { print int(u / 1024) " MiB" }')
rss=$(grep VmRSS "/proc/$jpid/status" | awk '{print $2 " " $3}')
echo "console-svc alone (svc console, launcher flags -Xmx256m): RSS $rss, heap after full GC: $heap"
