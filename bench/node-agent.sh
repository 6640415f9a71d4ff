#!/usr/bin/env bash
# Node agent footprint: time from launching `steadfast node` (all services) to GET /health = 200, and RSS
# after it has been idle for IDLE seconds. One node in a network namespace of its own (root).
#   bench/node-agent.sh [RUNS=5] [IDLE=30]
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
runs=${1:-5}; idle=${2:-30}
[ "$(id -u)" = 0 ] || { echo "run as root (network namespace)"; exit 1; }
ns="sfbench$$"; work=$(mktemp -d); pid=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; ip netns del "$ns" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add d0 type veth peer name d1
ip -n "$ns" link set d1 up
ip -n "$ns" addr add 198.18.0.11/16 dev d0
ip -n "$ns" link set d0 up
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/secret"
chmod 600 "$work/secret"
cat > "$work/steadfast.yml" <<YML
cluster:
  name: bench$$
  secret_file: $work/secret
  state_dir: $work/state
  console: { port: 9400, bind: 198.18.0.11 }
  nodes:
    - { name: node1, addr: 198.18.0.11 }
modules: []
YML
"$root/steadfast" config-test "$work/steadfast.yml" >/dev/null
echo "run ready_ms rss_mb"
for i in $(seq 1 "$runs"); do
  t0=$(date +%s%N)
  STEADFAST_NO_BUILD=1 ip netns exec "$ns" "$root/steadfast" node --config "$work/steadfast.yml" --node node1 \
    > "$work/agent.log" 2>&1 &
  pid=$!
  ready=""
  for _ in $(seq 1 300); do
    if ip netns exec "$ns" curl -sf --max-time 1 -o /dev/null http://198.18.0.11:9400/health; then
      ready=$(( ($(date +%s%N) - t0) / 1000000 )); break
    fi
    sleep 0.05
  done
  [ -n "$ready" ] || { echo "agent not ready; log:"; tail -20 "$work/agent.log"; exit 1; }
  sleep "$idle"
  rss=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$pid/status")
  echo "$i $ready $rss"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
done
