#!/usr/bin/env bash
# Install, start, stop and report the servers Aarya needs on a machine without Docker:
# PostgreSQL 15, RabbitMQ (+management), Redis 7 (AOF on) and Elasticsearch 8 (integ-test-zip).
#
#   ops/servers.sh install   # apt packages + Elasticsearch; idempotent, skips what is present
#   ops/servers.sh start     # start what is not already answering, then provision roles/DBs/vhosts
#   ops/servers.sh stop      # stop only what `start` started (markers in var/servers/)
#   ops/servers.sh status    # up/down per server (exit 1 if any is down)
#
# Runs as root (as our machines and CI do). Servers already running on their default ports are
# reused as they are, never restarted.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR="$ROOT/var"
MARKERS="$VAR/servers"

# Elasticsearch lives outside the repo so every clone (dev tree, CI clone) shares one download.
AARYA_OPT="${AARYA_OPT:-/opt/aarya}"
ES_VERSION="8.19.21"
ES_URL="https://repo1.maven.org/maven2/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip"
ES_SHA512="cf6b0a93860d329937ae7f913ec5073b0c726c77639764b93fc83a304aa1dd9d4defcfa2849948eea3b0b47c2065f994908603939fc2a4774c9c4d868c5ec1dd"
ES_ZIP="$AARYA_OPT/cache/elasticsearch-$ES_VERSION.zip"
ES_PRELOADED_ZIP="${ES_PRELOADED_ZIP:-/tmp/es-$ES_VERSION.zip}"   # a copy fetched earlier by hand, used if present
ES_HOME="$AARYA_OPT/elasticsearch-$ES_VERSION"
ES_USER="elasticsearch"
# Data and logs per checkout (like Redis's), so a CI clone starts with empty indices; see es_paths.
ES_VAR="$VAR/elasticsearch"
ES_DATA="" ES_LOGS="" ES_PID=""   # set by es_paths

PG_VERSION=15
PG_CLUSTER=main
REDIS_DIR="$VAR/redis"

APT_PACKAGES=(postgresql-15 rabbitmq-server redis-server wrk curl unzip ca-certificates)

log() { printf '[servers] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# True if something accepts TCP connections on 127.0.0.1:$1.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# wait_for DESCRIPTION SECONDS COMMAND...: retry COMMAND every second until it succeeds.
wait_for() {
  local what="$1" secs="$2"; shift 2
  local i
  for ((i = 0; i < secs; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  log "timed out after ${secs}s waiting for $what"
  return 1
}

mark_started() { mkdir -p "$MARKERS"; echo "${2:-}" >"$MARKERS/$1.started"; }

need_root() { [[ $(id -u) -eq 0 ]] || die "run as root (apt, runuser and pg_ctlcluster need it)"; }

java_home() {
  local java
  java="$(command -v java)" || return 1
  java="$(readlink -f "$java")"
  dirname "$(dirname "$java")"
}

# Names of every database the configs mention (postgresql://…/<db>}), so new envs need no edit here.
config_databases() {
  local dbs
  dbs="$(sed -n 's#.*postgresql[^:/]*://[^}]*/\([A-Za-z0-9_]*\)}.*#\1#p' "$ROOT"/config/*.yaml 2>/dev/null | sort -u)"
  if [[ -z "$dbs" ]]; then
    local s
    for s in users products orders payments notifications analytics recommendations search audit; do
      dbs+="${s}_db ${s}_db_test "
    done
  fi
  echo "$dbs"
}

# Non-default RabbitMQ vhosts named in the configs' AMQP_URI defaults (amqp://…:5672/<vhost>}).
config_vhosts() {
  local v
  v="$(sed -n 's#^AMQP_URI:.*amqp://[^}]*:[0-9]*/\([A-Za-z0-9_.-]\+\)}.*#\1#p' "$ROOT"/config/*.yaml 2>/dev/null | sort -u)"
  echo "${v:-aarya_test}"
}

# ---------------------------------------------------------------- install

install_apt() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
  if ((${#missing[@]} == 0)); then
    log "apt packages already installed"
    return
  fi
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q -o Dpkg::Use-Pty=0 --no-install-recommends "${missing[@]}"
}

# Point ES_DATA/ES_LOGS at var/elasticsearch, or at $AARYA_OPT if the elasticsearch user can't
# reach this checkout (e.g. a repo under /root).
es_paths() {
  local base="$ES_VAR"
  mkdir -p "$base/data" "$base/logs"
  chown -R "$ES_USER:$ES_USER" "$base"
  if ! runuser -u "$ES_USER" -- test -w "$base/data"; then
    base="$AARYA_OPT/es-var"
    mkdir -p "$base/data" "$base/logs"
    chown -R "$ES_USER:$ES_USER" "$base"
  fi
  ES_DATA="$base/data"
  ES_LOGS="$base/logs"
  ES_PID="$ES_LOGS/elasticsearch.pid"
}

es_write_config() {
  # The integ-test-zip ships x-pack-core/x-pack-security modules, so security is on by default
  # (every request would need credentials). xpack.security.enabled is accepted there; turn it off.
  cat >"$ES_HOME/config/elasticsearch.yml" <<EOF
# Written by ops/servers.sh: single dev node on loopback.
cluster.name: aarya
node.name: aarya-node-1
discovery.type: single-node
network.host: 127.0.0.1
http.port: 9200
path.data: $ES_DATA
path.logs: $ES_LOGS
xpack.security.enabled: false
# A nearly full dev disk must not flip every index to read-only.
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
EOF
  mkdir -p "$ES_HOME/config/jvm.options.d"
  printf -- '-Xms512m\n-Xmx1g\n' >"$ES_HOME/config/jvm.options.d/aarya-heap.options"
  chown -R "$ES_USER:$ES_USER" "$ES_HOME/config"
}

install_es() {
  if ! id "$ES_USER" >/dev/null 2>&1; then
    log "creating system user $ES_USER"
    useradd --system --user-group --no-create-home --home-dir "$ES_HOME" --shell /usr/sbin/nologin "$ES_USER"
  fi
  if [[ ! -x "$ES_HOME/bin/elasticsearch" ]]; then
    mkdir -p "$AARYA_OPT/cache"
    if [[ ! -s "$ES_ZIP" ]]; then
      if [[ -s "$ES_PRELOADED_ZIP" ]]; then
        cp "$ES_PRELOADED_ZIP" "$ES_ZIP.part"
      else
        log "downloading $ES_URL"
        curl -fsSL --retry 3 --retry-delay 2 -o "$ES_ZIP.part" "$ES_URL"
      fi
      echo "$ES_SHA512  $ES_ZIP.part" | sha512sum -c --quiet - || { rm -f "$ES_ZIP.part"; die "checksum mismatch for Elasticsearch zip"; }
      mv "$ES_ZIP.part" "$ES_ZIP"
    fi
    log "unpacking Elasticsearch $ES_VERSION into $ES_HOME"
    rm -rf "$ES_HOME.tmp" && mkdir -p "$ES_HOME.tmp"
    unzip -q "$ES_ZIP" -d "$ES_HOME.tmp"
    mv "$ES_HOME.tmp/elasticsearch-$ES_VERSION" "$ES_HOME" && rmdir "$ES_HOME.tmp"
  else
    log "Elasticsearch $ES_VERSION already unpacked in $ES_HOME"
  fi
  chmod 755 "$AARYA_OPT"
  chown -R "$ES_USER:$ES_USER" "$ES_HOME"
}

cmd_install() {
  need_root
  install_apt
  install_es
  bash "$ROOT/ops/influxdb.sh" install   # InfluxDB 1.13 (v2 API + Flux), built once, cached under $AARYA_OPT
  bash "$ROOT/ops/tools.sh"   # deploy tools: docker-compose, promtool/prometheus, nginx (tests/deploy)
  log "install done"
}

# ---------------------------------------------------------------- start

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432; }
rabbit_up() { port_open 5672; }
redis_up() { [[ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" == PONG ]]; }
# Not `GET /`: the integ-test-zip has no root endpoint (it answers 405), so ask for health instead.
es_up() { curl -fsS -m 2 http://127.0.0.1:9200/_cluster/health >/dev/null 2>&1; }
es_healthy() { curl -fsS -m 5 'http://127.0.0.1:9200/_cluster/health' 2>/dev/null | grep -Eq '"status":"(green|yellow)"'; }

start_pg() {
  if pg_up; then log "postgresql: already running on :5432, reusing it"; return; fi
  command -v pg_ctlcluster >/dev/null || die "postgresql not installed: run ops/servers.sh install"
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$PG_VERSION $PG_CLUSTER"; then
    log "postgresql: creating cluster $PG_VERSION $PG_CLUSTER"
    pg_createcluster "$PG_VERSION" "$PG_CLUSTER" >/dev/null
  fi
  # Ten services, each with a worker pool, plus the suite's own readers: 100 slots run out.
  pg_conftool "$PG_VERSION" "$PG_CLUSTER" set max_connections 300
  log "postgresql: starting cluster $PG_VERSION $PG_CLUSTER"
  pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start
  wait_for "postgresql" 60 pg_up
  mark_started postgresql
}

start_rabbit() {
  if rabbit_up; then
    log "rabbitmq: already running on :5672, reusing it"
  else
    command -v rabbitmq-server >/dev/null || die "rabbitmq not installed: run ops/servers.sh install"
    log "rabbitmq: starting"
    rabbitmq-server -detached
    mark_started rabbitmq
    # await_startup fails at once if the node hasn't registered with epmd yet: retry until it has.
    wait_for "rabbitmq node to boot" 120 rabbitmqctl -q await_startup --timeout 10 \
      || { tail -n 30 /var/log/rabbitmq/rabbit@*.log 2>/dev/null || true; die "rabbitmq did not start"; }
  fi
  if ! port_open 15672; then
    log "rabbitmq: enabling management plugin"
    rabbitmq-plugins -q enable rabbitmq_management >/dev/null
    wait_for "rabbitmq management :15672" 60 port_open 15672
  fi
}

start_redis() {
  if redis_up; then
    log "redis: already running on :6379, reusing it"
    # The bridge relies on AOF for durable streams; turn it on in a server we did not start.
    if [[ "$(redis-cli -p 6379 config get appendonly | tail -1)" != yes ]]; then
      log "redis: CONFIG SET appendonly yes"
      redis-cli -p 6379 config set appendonly yes >/dev/null
    fi
    return
  fi
  command -v redis-server >/dev/null || die "redis not installed: run ops/servers.sh install"
  mkdir -p "$REDIS_DIR"
  cat >"$REDIS_DIR/redis.conf" <<EOF
# Written by ops/servers.sh: loopback only, AOF on (the event streams must survive a restart).
bind 127.0.0.1
port 6379
protected-mode yes
daemonize yes
pidfile $REDIS_DIR/redis.pid
logfile $REDIS_DIR/redis.log
dir $REDIS_DIR
appendonly yes
appendfsync everysec
EOF
  log "redis: starting with $REDIS_DIR/redis.conf"
  redis-server "$REDIS_DIR/redis.conf"
  wait_for "redis" 30 redis_up
  mark_started redis
}

# Launches Elasticsearch in the background and returns at once (it is the slowest to come up);
# es_wait collects the launcher and waits for cluster health.
ES_LAUNCHER=""
start_es() {
  if es_up; then log "elasticsearch: already running on :9200, reusing it"; return; fi
  [[ -x "$ES_HOME/bin/elasticsearch" ]] || die "elasticsearch not installed in $ES_HOME: run ops/servers.sh install"
  local jh
  jh="$(java_home)" || die "no java on PATH (Elasticsearch needs Java 17+)"
  es_paths
  es_write_config
  log "elasticsearch: starting as $ES_USER (ES_JAVA_HOME=$jh, data $ES_DATA)"
  rm -f "$ES_PID"
  # ES refuses to run as root. -d daemonizes once the node is up; its console echo goes to a file
  # (-q can't be combined with -d in 8.19).
  (cd "$ES_HOME" && exec runuser -u "$ES_USER" -- env ES_JAVA_HOME="$jh" ES_PATH_CONF="$ES_HOME/config" \
    "$ES_HOME/bin/elasticsearch" -d -p "$ES_PID") >"$ES_LOGS/console.out" 2>&1 &
  ES_LAUNCHER=$!
  mark_started elasticsearch
}

es_wait() {
  if [[ -n "$ES_LAUNCHER" ]] && ! wait "$ES_LAUNCHER"; then
    tail -n 40 "$ES_LOGS/console.out" || true
    die "elasticsearch failed to start (log: $ES_LOGS/console.out)"
  fi
  if ! wait_for "elasticsearch cluster health yellow/green" 180 es_healthy; then
    tail -n 40 "$ES_LOGS/aarya.log" 2>/dev/null || true
    die "elasticsearch is not healthy"
  fi
  log "elasticsearch: $(curl -fsS 'http://127.0.0.1:9200/_cluster/health?filter_path=status,number_of_nodes')"
}

psql_admin() { (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"); }

provision_pg() {
  if [[ "$(psql_admin -Atc "SELECT 1 FROM pg_roles WHERE rolname = 'aarya'")" != 1 ]]; then
    log "postgresql: creating role aarya"
    psql_admin -c "CREATE ROLE aarya LOGIN SUPERUSER PASSWORD 'aarya'"
  fi
  local existing db created=()
  existing="$(psql_admin -Atc 'SELECT datname FROM pg_database')"
  for db in $(config_databases); do
    grep -qx "$db" <<<"$existing" && continue
    psql_admin -c "CREATE DATABASE \"$db\" OWNER aarya"
    created+=("$db")
  done
  ((${#created[@]})) && log "postgresql: created databases ${created[*]}"
  return 0
}

provision_rabbit() {
  local existing vh
  existing="$(rabbitmqctl -q list_vhosts name 2>/dev/null || true)"
  for vh in $(config_vhosts); do
    if ! grep -qx "$vh" <<<"$existing"; then
      log "rabbitmq: adding vhost $vh"
      rabbitmqctl -q add_vhost "$vh"
    fi
    rabbitmqctl -q set_permissions -p "$vh" guest '.*' '.*' '.*'
  done
}

cmd_start() {
  need_root
  mkdir -p "$VAR"
  start_es        # first: it takes longest to come up, the others start meanwhile
  start_pg
  start_rabbit
  start_redis
  provision_pg
  provision_rabbit
  es_wait
  bash "$ROOT/ops/influxdb.sh" start
  log "all servers up"
}

# ---------------------------------------------------------------- stop / status

cmd_stop() {
  need_root
  local stopped=0
  if [[ -e "$MARKERS/elasticsearch.started" ]]; then
    log "elasticsearch: stopping"
    es_paths
    if [[ -s "$ES_PID" ]]; then
      local pid; pid="$(cat "$ES_PID")"
      kill "$pid" 2>/dev/null || true
      wait_for "elasticsearch to exit" 60 bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$MARKERS/elasticsearch.started"; stopped=1
  fi
  if [[ -e "$MARKERS/redis.started" ]]; then
    log "redis: stopping"
    redis-cli -p 6379 shutdown >/dev/null 2>&1 || true
    wait_for "redis to exit" 30 bash -c "! redis-cli -p 6379 ping" || true
    rm -f "$MARKERS/redis.started"; stopped=1
  fi
  if [[ -e "$MARKERS/rabbitmq.started" ]]; then
    log "rabbitmq: stopping"
    rabbitmqctl -q shutdown || true
    rm -f "$MARKERS/rabbitmq.started"; stopped=1
  fi
  if [[ -e "$MARKERS/postgresql.started" ]]; then
    log "postgresql: stopping"
    pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop || true
    rm -f "$MARKERS/postgresql.started"; stopped=1
  fi
  ((stopped)) || log "nothing to stop (servers.sh started none of the running servers)"
}

cmd_status() {
  local down=0 name state how
  for name in postgresql rabbitmq rabbitmq-management redis elasticsearch; do
    case $name in
      postgresql) pg_up && state=up || state=down; how=":5432" ;;
      rabbitmq) rabbit_up && state=up || state=down; how=":5672" ;;
      rabbitmq-management) port_open 15672 && state=up || state=down; how="http://127.0.0.1:15672" ;;
      redis)
        if redis_up; then
          state=up; how=":6379 appendonly=$(redis-cli -p 6379 config get appendonly | tail -1)"
        else state=down; how=":6379"; fi ;;
      elasticsearch)
        if es_up; then
          state=up
          how=":9200 $(curl -fsS -m 5 'http://127.0.0.1:9200/_cluster/health?filter_path=status' 2>/dev/null)"
        else state=down; how=":9200"; fi ;;
    esac
    [[ -e "$MARKERS/${name%-management}.started" ]] && how+=" (started by servers.sh)"
    [[ $state == up ]] || down=1
    printf '%-20s %-5s %s\n' "$name" "$state" "$how"
  done
  return $down
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
