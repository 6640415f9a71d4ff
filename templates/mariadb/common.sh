# Sourced by the MariaDB template's scripts (start, stop, check, init). Every setting is an environment variable
# with a default; set them in the module's argv with /usr/bin/env (see steadfast.yml) or export them by hand.
MYSQL_USER=${MYSQL_USER:-mysql}                    # the OS user that owns the data directory and runs the server
MYSQL_DATADIR=${MYSQL_DATADIR:-/srv/mariadb/mysql} # data directory: on the module's replicated directory
MYSQL_PORT=${MYSQL_PORT:-3306}
MYSQL_BIND=${MYSQL_BIND:-0.0.0.0}                  # bind-address (the VIP must be reachable: 0.0.0.0 or ::)
MYSQL_SOCKET=${MYSQL_SOCKET:-/run/mysqld/mysqld.sock}   # local to the node
MYSQL_PIDFILE=${MYSQL_PIDFILE:-/run/mysqld/mysqld.pid}  # local to the node
MYSQL_LOG=${MYSQL_LOG:-/var/log/mysql/steadfast-${STEADFAST_MODULE:-mariadb}.err}  # error log (local)
MYSQL_DEFAULTS_FILE=${MYSQL_DEFAULTS_FILE:-}       # an option file read instead of /etc/mysql/my.cnf (empty: my.cnf)
MYSQL_OPTS=${MYSQL_OPTS:-}                         # more server options, e.g. "--innodb-buffer-pool-size=1G"
MYSQL_START_TIMEOUT=${MYSQL_START_TIMEOUT:-50}     # seconds: startup incl. crash recovery; keep < scripts.timeout
MYSQL_STOP_TIMEOUT=${MYSQL_STOP_TIMEOUT:-40}       # seconds for the graceful stop
MARIADBD=${MARIADBD:-/usr/sbin/mariadbd}

log() { echo "mariadb: $*"; }
die() { echo "mariadb: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (the server itself runs as $MYSQL_USER)"
[ -x "$MARIADBD" ] || die "$MARIADBD not found; install the Debian package mariadb-server"
id -u "$MYSQL_USER" >/dev/null 2>&1 || die "no user $MYSQL_USER"
cd /

if [ -n "$MYSQL_DEFAULTS_FILE" ]; then
  defaults="--defaults-file=$MYSQL_DEFAULTS_FILE"
else
  defaults="--defaults-file=/etc/mysql/my.cnf"
fi

# Runs a command as the server's user: no root capabilities left, no PAM session.
as_mysql() {
  setpriv --reuid="$MYSQL_USER" --regid="$(id -g "$MYSQL_USER")" --init-groups -- \
    env HOME="$(getent passwd "$MYSQL_USER" | cut -d: -f6)" USER="$MYSQL_USER" LOGNAME="$MYSQL_USER" "$@"
}

# The PID in the pid file when it is a live mariadbd of this data directory, else nothing (a stale file after a
# crash names a dead PID or an unrelated process).
my_pid() {
  [ -f "$MYSQL_PIDFILE" ] || return 0
  _pid=$(head -n 1 "$MYSQL_PIDFILE" 2>/dev/null || true)
  case "$_pid" in ''|*[!0-9]*) return 0;; esac
  case "$(cat "/proc/$_pid/comm" 2>/dev/null || true)" in mariadbd|mysqld) ;; *) return 0;; esac
  [ "$(readlink "/proc/$_pid/cwd" 2>/dev/null || true)" = "$(readlink -f "$MYSQL_DATADIR")" ] || return 0
  echo "$_pid"
}

# mariadb-admin ping: exit 0 when the server answers (even "access denied" means it answers).
my_ready() {
  mariadb-admin --no-defaults --socket="$MYSQL_SOCKET" --connect-timeout=2 ping >/dev/null 2>&1
}

# Waits (bounded, $2 seconds) until process $1 has exited.
wait_gone() {
  _end=$(( $(date +%s) + $2 ))
  while [ -d "/proc/$1" ]; do
    case "$(cat "/proc/$1/comm" 2>/dev/null || true)" in mariadbd|mysqld) ;; *) return 0;; esac
    [ "$(date +%s)" -le "$_end" ] || return 1
    sleep 0.1
  done
  return 0
}
