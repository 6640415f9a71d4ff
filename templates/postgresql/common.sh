# Sourced by the PostgreSQL template's scripts (start, stop, check, init). Every setting is an environment variable
# with a default; set them in the module's argv with /usr/bin/env (see steadfast.yml) or export them by hand.
PG_USER=${PG_USER:-postgres}                       # the OS user that owns PGDATA and runs the server
PGDATA=${PGDATA:-/srv/pg/postgresql}               # data directory: on the module's replicated directory
PGPORT=${PGPORT:-5432}
PG_LISTEN=${PG_LISTEN:-*}                          # listen_addresses (the VIP must be among them: * or 0.0.0.0)
PG_SOCKET_DIR=${PG_SOCKET_DIR:-/var/run/postgresql} # unix socket directory (local to the node)
PG_LOG=${PG_LOG:-/var/log/postgresql/steadfast-${STEADFAST_MODULE:-postgresql}.log}  # server log (local)
PG_START_TIMEOUT=${PG_START_TIMEOUT:-50}           # seconds: startup incl. crash recovery; keep < scripts.timeout
PG_STOP_TIMEOUT=${PG_STOP_TIMEOUT:-30}             # seconds for the graceful (fast) stop
PG_OPTS=${PG_OPTS:-}                               # more server options, e.g. "-c shared_buffers=1GB"
if [ -z "${PGBIN:-}" ]; then                       # the newest installed major version
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi

log() { echo "postgresql: $*"; }
die() { echo "postgresql: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (the server itself runs as $PG_USER)"
[ -x "${PGBIN:-}/pg_ctl" ] || die "pg_ctl not found (PGBIN=${PGBIN:-}); install the Debian package postgresql"
id -u "$PG_USER" >/dev/null 2>&1 || die "no user $PG_USER"
case "$PGDATA$PG_SOCKET_DIR$PG_LISTEN$PG_LOG" in *"'"*|*'"'*) die "quotes are not allowed in paths or PG_LISTEN";; esac
cd /   # the server user may not be allowed into the caller's directory

# Runs a command as the server's user: no root capabilities left, no PAM session.
as_pg() {
  setpriv --reuid="$PG_USER" --regid="$(id -g "$PG_USER")" --init-groups -- \
    env HOME="$(getent passwd "$PG_USER" | cut -d: -f6)" USER="$PG_USER" LOGNAME="$PG_USER" "$@"
}

# The PID in PGDATA/postmaster.pid when it is a live postmaster of this data directory, else nothing.
# (After a crash or a failover the file is stale: its PID is dead, or belongs to an unrelated process.)
# "Of this data directory": its working directory is the same directory (device and inode) as $PGDATA here. The
# path alone is not enough where several nodes share one machine in their own mount namespaces (the lab, the
# demo): the secondary's copy of postmaster.pid names the primary's live postmaster, whose working directory has
# the same path in the primary's namespace, but is another file system. When either side cannot be read (a
# replicated mount whose service is gone), the paths are compared.
pg_pid() {
  if ! [ -d "$PGDATA" ] && [ -e "$PG_SOCKET_DIR/.s.PGSQL.$PGPORT.lock" ]; then
    # PGDATA unreachable — a replicated mount whose agent died (ENOTCONN) — while a server may still run on it:
    # the socket's lock file is node-local and names the postmaster (line 1) and its data directory (line 2)
    _pid=$(sed -n 1p "$PG_SOCKET_DIR/.s.PGSQL.$PGPORT.lock" 2>/dev/null || true)
    _dir=$(sed -n 2p "$PG_SOCKET_DIR/.s.PGSQL.$PGPORT.lock" 2>/dev/null || true)
    case "$_pid" in ''|*[!0-9]*) return 0;; esac
    [ "$(cat "/proc/$_pid/comm" 2>/dev/null || true)" = postgres ] || return 0
    [ "$_dir" = "$PGDATA" ] || return 0
    echo "$_pid"
    return 0
  fi
  [ -f "$PGDATA/postmaster.pid" ] || return 0
  _pid=$(head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null || true)
  case "$_pid" in ''|*[!0-9]*) return 0;; esac
  [ "$(cat "/proc/$_pid/comm" 2>/dev/null || true)" = postgres ] || return 0
  _theirs=$(stat -L -c %d:%i "/proc/$_pid/cwd" 2>/dev/null || true)
  _ours=$(stat -L -c %d:%i "$PGDATA" 2>/dev/null || true)
  if [ -n "$_theirs" ] && [ -n "$_ours" ]; then
    [ "$_theirs" = "$_ours" ] || return 0
  else
    [ "$(readlink "/proc/$_pid/cwd" 2>/dev/null || true)" = "$(readlink -f "$PGDATA")" ] || return 0
  fi
  echo "$_pid"
}

pg_ready() {
  as_pg "$PGBIN/pg_isready" -q -h "$PG_SOCKET_DIR" -p "$PGPORT" -U "$PG_USER" -d postgres -t 2 >/dev/null 2>&1
}

# Waits (bounded) until the server accepts connections.
wait_ready() {
  _end=$(( $(date +%s) + PG_START_TIMEOUT ))
  while [ "$(date +%s)" -le "$_end" ]; do
    pg_ready && return 0
    sleep 0.2
  done
  return 1
}

# Waits (bounded, $2 seconds) until process $1 has exited.
wait_gone() {
  _end=$(( $(date +%s) + $2 ))
  while [ -d "/proc/$1" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null || true)" = postgres ]; do
    [ "$(date +%s)" -le "$_end" ] || return 1
    sleep 0.1
  done
  return 0
}
