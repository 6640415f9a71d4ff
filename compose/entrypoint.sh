#!/bin/sh
# Entry point of the Steadfast image: chooses what this container runs (see compose/Dockerfile).
#   environment: STEADFAST_NODE (this node's name, required for services), STEADFAST_CONFIG (config file),
#   STEADFAST_SERVICES (comma list for `node`), STEADFAST_ROLE (used when no argument is given),
#   STEADFAST_HEALTH_URL (for `health`, default http://127.0.0.1:9400/health: the console's bind and port).
set -eu
role=${1:-${STEADFAST_ROLE:-node}}
[ $# -gt 0 ] && shift

need_node() {
  if [ -z "${STEADFAST_NODE:-}" ]; then
    echo "steadfast-entrypoint: set STEADFAST_NODE to this node's name in $STEADFAST_CONFIG" >&2
    exit 64
  fi
}

case "$role" in
  hold)
    # Owns the network namespace the service containers of a node join; does nothing else.
    exec sleep infinity ;;
  heartbeat|replication|vip|checker|lb-filter|console)
    need_node
    echo "$role" > /tmp/steadfast-role
    exec steadfast svc "$role" --config "$STEADFAST_CONFIG" --node "$STEADFAST_NODE" "$@" ;;
  node)
    need_node
    echo node > /tmp/steadfast-role
    if [ -n "${STEADFAST_SERVICES:-}" ]; then
      exec steadfast node --config "$STEADFAST_CONFIG" --node "$STEADFAST_NODE" --services "$STEADFAST_SERVICES" "$@"
    fi
    exec steadfast node --config "$STEADFAST_CONFIG" --node "$STEADFAST_NODE" "$@" ;;
  health)
    # HEALTHCHECK: the console (or a whole node) answers /health for the node; another service container is
    # healthy while its JVM runs (the console's /health reports it by name); the holder while it sleeps.
    r=$(cat /tmp/steadfast-role 2>/dev/null || echo hold)
    case "$r" in
      console|node) exec curl -fsS -o /dev/null --max-time 3 "${STEADFAST_HEALTH_URL:-http://127.0.0.1:9400/health}" ;;
      hold) exit 0 ;;
      *) pgrep -f "io.steadfast|steadfast.jar" >/dev/null ;;
    esac ;;
  *)
    exec steadfast "$role" "$@" ;;
esac
