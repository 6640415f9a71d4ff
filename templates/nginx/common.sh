# Sourced by the nginx template's scripts (start, stop, check). Every setting is an environment variable with a
# default; set them in the module's argv with /usr/bin/env (see steadfast.yml) or export them by hand.
NGINX_USER=${NGINX_USER:-www-data}                 # the OS user nginx runs as (master and workers)
NGINX_PORT=${NGINX_PORT:-80}
NGINX_LISTEN=${NGINX_LISTEN:-}                     # address to listen on (empty: all, so the farm's VIP too)
NGINX_ROOT=${NGINX_ROOT:-/var/www/html}            # document root of the generated configuration (local copy)
NGINX_CONF=${NGINX_CONF:-}                         # your nginx.conf instead of the generated one (no "pid"/"user")
NGINX_RUNDIR=${NGINX_RUNDIR:-/run/steadfast-nginx-${STEADFAST_MODULE:-web}}  # pid file, temp files, generated conf
NGINX_LOGDIR=${NGINX_LOGDIR:-/var/log/nginx/steadfast-${STEADFAST_MODULE:-web}}
NGINX_START_TIMEOUT=${NGINX_START_TIMEOUT:-20}
NGINX_STOP_TIMEOUT=${NGINX_STOP_TIMEOUT:-20}       # graceful stop: in-flight requests finish (bounded by nginx too)
NGINX=${NGINX:-/usr/sbin/nginx}

log() { echo "nginx: $*"; }
die() { echo "nginx: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (nginx itself runs as $NGINX_USER)"
[ -x "$NGINX" ] || die "$NGINX not found; install the Debian package nginx"
id -u "$NGINX_USER" >/dev/null 2>&1 || die "no user $NGINX_USER"
cd /

PIDFILE="$NGINX_RUNDIR/nginx.pid"
CONF=${NGINX_CONF:-$NGINX_RUNDIR/nginx.conf}
if [ -n "$NGINX_LISTEN" ]; then
  case "$NGINX_LISTEN" in *:*) HOSTPORT="[$NGINX_LISTEN]:$NGINX_PORT";; *) HOSTPORT="$NGINX_LISTEN:$NGINX_PORT";; esac
  PROBE="$HOSTPORT"
else
  HOSTPORT="$NGINX_PORT"
  PROBE="127.0.0.1:$NGINX_PORT"
fi

# Runs nginx as its user; the only capability kept is binding ports below 1024 (ambient, for port 80/443).
as_www() {
  setpriv --reuid="$NGINX_USER" --regid="$(id -g "$NGINX_USER")" --init-groups \
    --inh-caps=-all,+net_bind_service --ambient-caps=-all,+net_bind_service -- "$@"
}

# The master's PID from the pid file when it is a live nginx master of this configuration, else nothing.
ngx_pid() {
  [ -f "$PIDFILE" ] || return 0
  _pid=$(head -n 1 "$PIDFILE" 2>/dev/null || true)
  case "$_pid" in ''|*[!0-9]*) return 0;; esac
  [ "$(cat "/proc/$_pid/comm" 2>/dev/null || true)" = nginx ] || return 0
  case "$(tr '\0' ' ' < "/proc/$_pid/cmdline" 2>/dev/null || true)" in
    *"master process"*"-c $CONF "*) echo "$_pid";;
  esac
}

# An HTTP answer (any status) on the port.
ngx_answers() {
  curl -s -o /dev/null --max-time 2 "http://$PROBE/" 2>/dev/null
}

# Waits (bounded, $2 seconds) until process $1 has exited.
wait_gone() {
  _end=$(( $(date +%s) + $2 ))
  while [ -d "/proc/$1" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null || true)" = nginx ]; do
    [ "$(date +%s)" -le "$_end" ] || return 1
    sleep 0.1
  done
  return 0
}
