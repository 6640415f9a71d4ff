#!/bin/sh
# Entry point of the Steadfast image: chooses what this container runs (see compose/Dockerfile).
#   environment: STEADFAST_NODE (this node's name, required for services), STEADFAST_CONFIG (config file),
#   STEADFAST_SERVICES (comma list for `node`), STEADFAST_ROLE (used when no argument is given),
#   STEADFAST_HEALTH_URL (for `health`, default http://127.0.0.1:9400/health: the console's bind and port),
#   STEADFAST_WAIT_FOR (TCP ports in this network namespace that must listen before the service starts, e.g.
#   the event-bus ports of the node-local services heartbeat-svc drives) and STEADFAST_WAIT_S (bound, default 300).
set -eu
role=${1:-${STEADFAST_ROLE:-node}}
role_file=${STEADFAST_ROLE_FILE:-/tmp/steadfast-role}   # what this container runs, for `health`
[ $# -gt 0 ] && shift

need_node() {
  if [ -z "${STEADFAST_NODE:-}" ]; then
    echo "steadfast-entrypoint: set STEADFAST_NODE to this node's name in $STEADFAST_CONFIG" >&2
    exit 64
  fi
}

# Waits (bounded) until every port of STEADFAST_WAIT_FOR listens in this namespace; then starts anyway.
wait_for_ports() {
  [ -n "${STEADFAST_WAIT_FOR:-}" ] || return 0
  end=$(( $(date +%s) + ${STEADFAST_WAIT_S:-300} ))
  for port in $STEADFAST_WAIT_FOR; do
    while [ -z "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]; do
      if [ "$(date +%s)" -ge "$end" ]; then
        echo "steadfast-entrypoint: port $port still not listening after ${STEADFAST_WAIT_S:-300} s; starting anyway" >&2
        return 0
      fi
      sleep 1
    done
  done
}

case "$role" in
  hold)
    # Owns the network namespace the service containers of a node join; does nothing else.
    exec sleep infinity ;;
  heartbeat|replication|vip|checker|lb-filter|console)
    need_node
    echo "$role" > "$role_file"
    wait_for_ports
    exec steadfast svc "$role" --config "$STEADFAST_CONFIG" --node "$STEADFAST_NODE" "$@" ;;
  node)
    need_node
    echo node > "$role_file"
    if [ -n "${STEADFAST_SERVICES:-}" ]; then
      exec steadfast node --config "$STEADFAST_CONFIG" --node "$STEADFAST_NODE" --services "$STEADFAST_SERVICES" "$@"
    fi
    exec steadfast node --config "$STEADFAST_CONFIG" --node "$STEADFAST_NODE" "$@" ;;
  health)
    # HEALTHCHECK: the console (or a whole node) answers /health for the node; another service container is
    # healthy while its JVM runs (the console's /health reports it by name); the holder while it sleeps.
    r=$(cat "$role_file" 2>/dev/null || echo hold)
    case "$r" in
      console|node) exec curl -fsS -o /dev/null --max-time 3 "${STEADFAST_HEALTH_URL:-http://127.0.0.1:9400/health}" ;;
      hold) exit 0 ;;
      *) pgrep -f "io.steadfast|steadfast.jar" >/dev/null ;;
    esac ;;
  *)
    exec steadfast "$role" "$@" ;;
esac
