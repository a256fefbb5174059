#!/usr/bin/env bash
# Dedicated PostgreSQL, RabbitMQ and Redis for the resilience suite (env `chaos`), which restarts
# them under load. They run beside the shared servers on other loopback ports and are the only
# servers this script ever starts, stops or restarts: the shared :5432/:5672/:6379 are never touched.
#
#   ops/chaos_servers.sh start             # start what is down, provision role/DBs/vhost, write config/chaos.yaml
#   ops/chaos_servers.sh stop              # stop all three
#   ops/chaos_servers.sh status
#   ops/chaos_servers.sh restart rabbitmq|redis|postgresql [DOWN_S]   # stop, stay down DOWN_S s, start
#   ops/chaos_servers.sh down|up rabbitmq|redis|postgresql            # the two halves of restart
#   ops/chaos_servers.sh down|up rabbitmq-app   # RabbitMQ's application only (stop_app/start_app):
#       every connection is closed and reconnects are refused as in a full stop, but the Erlang
#       VM stays up, so it is back in seconds instead of a VM boot (30 s on a loaded machine);
#       `make test`'s short restart story uses it, `make chaos` restarts the whole node
#
# PostgreSQL: cluster 15/chaos on :5433 (pg_createcluster, data under /var/lib/postgresql).
# RabbitMQ: node chaos@localhost on :5673, management :15673, dist :25673, same Erlang cookie,
#   mnesia/logs/config/plugins file under var/chaos-servers/rabbitmq (the shared node's files untouched).
# Redis: :6390, AOF on, dir var/chaos-servers/redis. Needs root and the packages ops/servers.sh installs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR="$ROOT/var/chaos-servers"
PY="${PYTHON:-$ROOT/.venv/bin/python}"

PG_VERSION=15 PG_CLUSTER=chaos PG_PORT=5433
AMQP_PORT=5673 AMQP_MGMT_PORT=15673 AMQP_DIST_PORT=25673 NODE=chaos@localhost
REDIS_PORT=6390
RMQ_DIR="$VAR/rabbitmq" REDIS_DIR="$VAR/redis"

log() { printf '[chaos-servers] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
wait_for() {
  local what="$1" secs="$2"; shift 2
  local i
  for ((i = 0; i < secs * 4; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  log "timed out after ${secs}s waiting for $what"; return 1
}
[[ $(id -u) -eq 0 ]] || die "run as root (pg_ctlcluster and runuser need it)"

# ---------------------------------------------------------------- PostgreSQL

pg_up() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; }
psql_chaos() { (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres "$@"); }

pg_start() {
  pg_up && return 0
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$PG_VERSION $PG_CLUSTER"; then
    log "postgresql: creating cluster $PG_VERSION/$PG_CLUSTER on :$PG_PORT"
    pg_createcluster "$PG_VERSION" "$PG_CLUSTER" --port "$PG_PORT" >/dev/null
    pg_conftool "$PG_VERSION" "$PG_CLUSTER" set max_connections 300
    pg_conftool "$PG_VERSION" "$PG_CLUSTER" set fsync off   # a test server: speed over durability of the host
  fi
  pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start
  wait_for "postgresql :$PG_PORT" 60 pg_up
}
pg_stop() { pg_up || return 0; pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop -m fast || true; }
pg_provision() {
  [[ "$(psql_chaos -Atc "SELECT 1 FROM pg_roles WHERE rolname = 'aarya'")" == 1 ]] \
    || psql_chaos -c "CREATE ROLE aarya LOGIN SUPERUSER PASSWORD 'aarya'"
  local existing db
  existing="$(psql_chaos -Atc 'SELECT datname FROM pg_database')"
  for db in $("$PY" -m ops.chaosenv --print databases); do
    grep -qx "$db" <<<"$existing" || psql_chaos -c "CREATE DATABASE \"$db\" OWNER aarya"
  done
}

# ---------------------------------------------------------------- RabbitMQ

rmq_vars() {
  echo HOME=/var/lib/rabbitmq RABBITMQ_NODENAME="$NODE" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$AMQP_PORT" RABBITMQ_DIST_PORT="$AMQP_DIST_PORT" \
    RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia" RABBITMQ_LOG_BASE="$RMQ_DIR/log" \
    RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins" \
    RABBITMQ_PID_FILE="$RMQ_DIR/rabbitmq.pid" RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_DIR/advanced.config"
}
# As the rabbitmq user (its home holds the shared Erlang cookie), with this node's variables only.
as_rabbitmq() { (cd /var/lib/rabbitmq && runuser -u rabbitmq -- env $(rmq_vars) "$@"); }
rmqctl() { as_rabbitmq /usr/lib/rabbitmq/bin/rabbitmqctl -n "$NODE" "$@"; }
rmq_up() { port_open "$AMQP_PORT" && port_open "$AMQP_MGMT_PORT"; }

rmq_start() {
  rmq_up && return 0
  mkdir -p "$RMQ_DIR/mnesia" "$RMQ_DIR/log"
  cat >"$RMQ_DIR/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$AMQP_PORT
management.tcp.port = $AMQP_MGMT_PORT
management.tcp.ip = 127.0.0.1
loopback_users = none
EOF
  echo "[rabbitmq_management]." >"$RMQ_DIR/enabled_plugins"
  : >"$RMQ_DIR/rabbitmq-env.conf"
  echo "[]." >"$RMQ_DIR/advanced.config"
  chown -R rabbitmq:rabbitmq "$RMQ_DIR"
  as_rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server -detached
  wait_for "rabbitmq node $NODE" 120 rmqctl -q await_startup --timeout 5 \
    || { tail -n 30 "$RMQ_DIR"/log/*.log 2>/dev/null || true; die "rabbitmq $NODE did not start"; }
  wait_for "rabbitmq management :$AMQP_MGMT_PORT" 60 port_open "$AMQP_MGMT_PORT"
}
rmq_stop() {
  port_open "$AMQP_PORT" || port_open "$AMQP_DIST_PORT" || return 0
  rmqctl -q shutdown >/dev/null 2>&1 || true
  wait_for "rabbitmq $NODE to exit" 30 bash -c "! timeout 1 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$AMQP_PORT'"
}
# The broker application alone, in a running node (see rabbitmq-app above).
rmq_app_stop() { rmqctl -q stop_app; }
rmq_app_start() {
  rmq_up && return 0
  port_open "$AMQP_DIST_PORT" || { rmq_start; return; }  # no node at all: boot it
  rmqctl -q start_app
  wait_for "rabbitmq :$AMQP_PORT" 60 port_open "$AMQP_PORT"
  wait_for "rabbitmq management :$AMQP_MGMT_PORT" 60 port_open "$AMQP_MGMT_PORT"
}
rmq_provision() {
  local vh
  for vh in $("$PY" -m ops.chaosenv --print vhosts); do
    rmqctl -q list_vhosts name | grep -qx "$vh" || rmqctl -q add_vhost "$vh"
    rmqctl -q set_permissions -p "$vh" guest '.*' '.*' '.*'
  done
}

# ---------------------------------------------------------------- Redis

redis_up() { [[ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }
redis_start() {
  redis_up && return 0
  mkdir -p "$REDIS_DIR"
  cat >"$REDIS_DIR/redis.conf" <<EOF
bind 127.0.0.1
port $REDIS_PORT
dir $REDIS_DIR
appendonly yes
appendfsync everysec
daemonize yes
pidfile $REDIS_DIR/redis.pid
logfile $REDIS_DIR/redis.log
save ""
EOF
  redis-server "$REDIS_DIR/redis.conf"
  wait_for "redis :$REDIS_PORT" 30 redis_up
}
redis_stop() { redis_up || return 0; redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
  wait_for "redis :$REDIS_PORT to exit" 30 bash -c "! redis-cli -p $REDIS_PORT ping"; }

# ---------------------------------------------------------------- commands

one() {  # one ACTION SERVER
  case "$2" in
    rabbitmq) "rmq_$1" ;; rabbitmq-app) "rmq_app_$1" ;; redis) "redis_$1" ;; postgresql) "pg_$1" ;;
    *) die "unknown server $2 (rabbitmq|rabbitmq-app|redis|postgresql)" ;;
  esac
}

case "${1:-}" in
  start)
    "$PY" -m ops.chaosenv >/dev/null
    pg_start; redis_start; rmq_start; pg_provision; rmq_provision
    log "up: postgresql :$PG_PORT, rabbitmq :$AMQP_PORT (management :$AMQP_MGMT_PORT), redis :$REDIS_PORT" ;;
  stop) rmq_stop; redis_stop; pg_stop; log "stopped" ;;
  status)
    pg_up && echo "postgresql :$PG_PORT up" || echo "postgresql :$PG_PORT down"
    rmq_up && echo "rabbitmq :$AMQP_PORT up" || echo "rabbitmq :$AMQP_PORT down"
    redis_up && echo "redis :$REDIS_PORT up" || echo "redis :$REDIS_PORT down" ;;
  down) one stop "${2:-}" ;;
  up) one start "${2:-}" ;;
  restart) one stop "${2:-}"; sleep "${3:-0}"; one start "${2:-}" ;;
  *) sed -n '2,20p' "$0"; exit 2 ;;
esac
