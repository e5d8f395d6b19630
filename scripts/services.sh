#!/usr/bin/env bash
# Makes sure the services the tests need answer: PostgreSQL (TEST_DATABASE_URL), Redis (TEST_REDIS_URL)
# and NATS (TEST_NATS_URL; tests also start private nats-server and PostgreSQL processes of their own).
# A service that is down on this machine's default port and installed is started; anything still
# missing gets one line saying how to get it, and the script exits 1 within seconds.
# Used by `npm test` and by .ci/run. Never stops or restarts anything.
set -uo pipefail

DATABASE_URL_="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
REDIS_URL_="${TEST_REDIS_URL:-redis://127.0.0.1:6379}"
NATS_URL_="${TEST_NATS_URL:-nats://127.0.0.1:4222}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
NATS_BIN="${NATS_SERVER_BIN:-/usr/sbin/nats-server}"
WAIT_SECONDS="${SERVICES_WAIT_SECONDS:-20}"
COMPOSE_HINT='or `docker compose up -d postgres redis nats`'

# host and port of a URL (scheme://[user[:pw]@]host[:port][/...]); default port as given.
host_of() { local rest="${1#*://}"; rest="${rest##*@}"; rest="${rest%%/*}"; rest="${rest%%\?*}"
  if [[ $rest == \[* ]]; then rest="${rest#[}"; echo "${rest%%]*}"; else echo "${rest%%:*}"; fi; }
port_of() { local rest="${1#*://}"; rest="${rest##*@}"; rest="${rest%%/*}"; rest="${rest%%\?*}"; rest="${rest##*]}"
  if [[ $rest == *:* ]]; then echo "${rest##*:}"; else echo "$2"; fi; }

# Each probe is bounded (an unroutable host must not hang us) and checks the service's own greeting,
# not just an open port.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
probe_postgres() {
  if command -v pg_isready >/dev/null; then timeout 3 pg_isready -q -h "$1" -p "$2" -t 2 2>/dev/null; else port_open "$1" "$2"; fi
}
probe_redis() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "PING\r\n" >&3 && read -r line <&3 && [[ $line == +PONG* || $line == -NOAUTH* ]]' "$1" "$2" 2>/dev/null; }
probe_nats() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1" && read -r line <&3 && [[ $line == INFO* ]]' "$1" "$2" 2>/dev/null; }
is_local() { [[ $1 == 127.0.0.1 || $1 == localhost || $1 == ::1 ]]; }
wait_up() { local i; for ((i = 0; i < WAIT_SECONDS * 4; i++)); do "$1" "$2" "$3" && return 0; sleep 0.25; done; return 1; }

start_postgres() {
  command -v pg_ctlcluster >/dev/null || return 1
  local version; version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)"
  [[ -n $version ]] || return 1
  echo "services: starting PostgreSQL $version (pg_ctlcluster)"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1
}
start_redis() {
  command -v redis-server >/dev/null || return 1
  echo "services: starting Redis (redis-server --daemonize yes)"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || return 1
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null 2>&1
}
start_nats() {
  [[ -x $NATS_BIN ]] && command -v start-stop-daemon >/dev/null || return 1
  echo "services: starting NATS with JetStream ($NATS_BIN)"
  mkdir -p /var/lib/nats-server 2>/dev/null || return 1
  start-stop-daemon --start --oknodo --background --exec "$NATS_BIN" -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log >/dev/null 2>&1
}

missing=0
reported=''
# ensure NAME URL DEFAULT_PORT PROBE_FN START_FN HOW VAR
ensure() {
  local name=$1 url=$2 default_port=$3 probe=$4 start=$5 how=$6 var=$7 host port
  host="$(host_of "$url")"; port="$(port_of "$url" "$default_port")"
  [[ -n $host ]] || host=127.0.0.1
  $probe "$host" "$port" && return 0
  # Only this machine's own service on its usual port is ours to start.
  if is_local "$host" && [[ $port == "$default_port" ]] && $start && wait_up "$probe" "$host" "$port"; then return 0; fi
  echo "services: $name is not reachable at $host:$port ($var): $how, $COMPOSE_HINT, or set $var" >&2
  missing=1
  reported="$reported $name"
}

ensure PostgreSQL "$DATABASE_URL_" 5432 probe_postgres start_postgres 'apt-get install postgresql' TEST_DATABASE_URL
ensure Redis "$REDIS_URL_" 6379 probe_redis start_redis 'apt-get install redis-server' TEST_REDIS_URL
ensure NATS "$NATS_URL_" 4222 probe_nats start_nats 'apt-get install nats-server' TEST_NATS_URL
# The fault tests start private servers from these binaries; named only when their service's own
# line above has not already said to install it.
need_bins() {
  local name=$1 how=$2 bin; shift 2
  [[ " $reported " == *" $name "* ]] && return 0
  for bin in "$@"; do
    [[ -x $bin ]] && continue
    echo "services: $bin is missing (the fault tests start private $name servers from it): $how" >&2
    missing=1
    return 0
  done
}
need_bins PostgreSQL 'apt-get install postgresql (or set PG_BIN)' "$PG_BIN/initdb" "$PG_BIN/pg_ctl"
need_bins Redis 'apt-get install redis-server' "$(command -v redis-server || echo /usr/bin/redis-server)"
need_bins NATS 'apt-get install nats-server (or set NATS_SERVER_BIN)' "$NATS_BIN"
exit $missing
