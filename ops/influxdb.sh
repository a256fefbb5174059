#!/usr/bin/env bash
# Build, start, stop and report the InfluxDB server Aarya's analytics writes its time series to.
#
#   ops/influxdb.sh install   # build influxd (InfluxDB 1.x OSS, which serves the v2 /api/v2/write
#                             # and Flux /api/v2/query API) from the Go module proxy; cached under
#                             # $AARYA_OPT/influxdb-$VERSION, so a second run builds nothing
#   ops/influxdb.sh start     # start it on 127.0.0.1:8086 unless something answers there, then make
#                             # every bucket the configs name (database + retention policy "autogen")
#   ops/influxdb.sh stop      # stop it only if `start` started it
#   ops/influxdb.sh status
#
# Why a build: Debian's influxdb package is 1.6.7, which has no /api/v2 endpoints; 1.8+ serves the
# v2 write and Flux query endpoints (flux-enabled = true) that influxdb-client speaks. Flux's core,
# libflux, is Rust: influxdata/pkg-config (the PKG_CONFIG wrapper the server's own build uses)
# compiles it with cargo while `go install` links influxd.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR="$ROOT/var"
MARKERS="$VAR/servers"
AARYA_OPT="${AARYA_OPT:-/opt/aarya}"
INFLUX_VERSION="1.13.2"
PKGCONFIG_VERSION="0.3.0"          # the one influxdb's go.mod pins
INFLUX_HOME="$AARYA_OPT/influxdb-$INFLUX_VERSION"
INFLUXD="$INFLUX_HOME/bin/influxd"
INFLUX_PORT="${INFLUX_PORT:-8086}"
INFLUX_DIR="$VAR/influxdb"

export PATH="$PATH:/usr/local/go/bin:${HOME:-/root}/.cargo/bin"

log() { printf '[influxdb] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

influx_up() { curl -fsS -m 2 "http://127.0.0.1:$INFLUX_PORT/ping" >/dev/null 2>&1; }

cmd_install() {
  if [[ -x "$INFLUXD" ]] && "$INFLUXD" version >/dev/null 2>&1; then
    log "influxd $INFLUX_VERSION already built in $INFLUX_HOME"
    return
  fi
  command -v go >/dev/null || die "go not found (needs Go >= 1.26 to build influxd $INFLUX_VERSION)"
  command -v cargo >/dev/null || die "cargo not found (Flux's libflux is Rust)"
  command -v cc >/dev/null || { log "apt-get install build-essential"; apt-get update -q; apt-get install -y -q build-essential; }
  mkdir -p "$INFLUX_HOME/bin" "$AARYA_OPT/cache"
  # Module downloads, Go's build cache and cargo's target dir all under $AARYA_OPT: an interrupted
  # build resumes where it stopped, and nothing lands in the checkout.
  export GOMODCACHE="$AARYA_OPT/cache/gomod" GOCACHE="$AARYA_OPT/cache/gobuild" GOPATH="$AARYA_OPT/cache/gopath"
  export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=1
  # libflux pins Rust 1.83 in a rust-toolchain file; build it with the toolchain the machine has.
  export RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-stable}" CARGO_TERM_PROGRESS_WHEN=never
  local tools="$INFLUX_HOME/tools"
  mkdir -p "$tools"
  if [[ ! -x "$tools/pkg-config" ]]; then
    log "building influxdata/pkg-config v$PKGCONFIG_VERSION"
    GOBIN="$tools" go install "github.com/influxdata/pkg-config@v$PKGCONFIG_VERSION"
  fi
  log "building influxd v$INFLUX_VERSION (Go + libflux via cargo; ~20-40 min on 2 cores, once)"
  local t0=$SECONDS
  PKG_CONFIG="$tools/pkg-config" GOBIN="$INFLUX_HOME/bin.tmp" \
    go install -ldflags "-X main.version=$INFLUX_VERSION" "github.com/influxdata/influxdb/cmd/influxd@v$INFLUX_VERSION"
  mv "$INFLUX_HOME/bin.tmp/influxd" "$INFLUXD" && rmdir "$INFLUX_HOME/bin.tmp"
  log "built $INFLUXD in $((SECONDS - t0))s"
}

write_config() {
  mkdir -p "$INFLUX_DIR/meta" "$INFLUX_DIR/data" "$INFLUX_DIR/wal"
  cat >"$INFLUX_DIR/influxdb.conf" <<CONF
# Written by ops/influxdb.sh: one loopback node for dev and tests.
reporting-disabled = true
bind-address = "127.0.0.1:8088"
[meta]
  dir = "$INFLUX_DIR/meta"
[data]
  dir = "$INFLUX_DIR/data"
  wal-dir = "$INFLUX_DIR/wal"
  query-log-enabled = false
  index-version = "tsi1"
[http]
  bind-address = "127.0.0.1:$INFLUX_PORT"
  flux-enabled = true
  log-enabled = false
  auth-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
CONF
}

# Buckets the configs name (influxdb: bucket: …), so every test env gets its own.
config_buckets() {
  sed -n 's/^ *bucket: *\${INFLUXDB_BUCKET:\([A-Za-z0-9_]*\)}.*/\1/p' "$ROOT"/config/*.yaml 2>/dev/null | sort -u
}

provision() {
  local b
  for b in $(config_buckets); do
    # v2 bucket "db/rp": with the default retention policy, the bucket is just the database name.
    curl -fsS -m 10 -XPOST "http://127.0.0.1:$INFLUX_PORT/query" --data-urlencode "q=CREATE DATABASE \"$b\"" >/dev/null \
      || die "could not create bucket $b"
  done
}

cmd_start() {
  if influx_up; then
    log "already answering on :$INFLUX_PORT, reusing it"
  else
    [[ -x "$INFLUXD" ]] || cmd_install
    write_config
    log "starting influxd $INFLUX_VERSION on 127.0.0.1:$INFLUX_PORT (data $INFLUX_DIR)"
    nohup "$INFLUXD" -config "$INFLUX_DIR/influxdb.conf" -pidfile "$INFLUX_DIR/influxd.pid" \
      >"$INFLUX_DIR/influxd.log" 2>&1 </dev/null &
    mkdir -p "$MARKERS"; echo $! >"$MARKERS/influxdb.started"
    local i
    for ((i = 0; i < 60; i++)); do influx_up && break; sleep 1; done
    influx_up || { tail -n 30 "$INFLUX_DIR/influxd.log"; die "influxd did not come up"; }
  fi
  provision
}

cmd_stop() {
  if [[ -e "$MARKERS/influxdb.started" ]]; then
    local pid; pid="$(cat "$INFLUX_DIR/influxd.pid" 2>/dev/null || cat "$MARKERS/influxdb.started")"
    log "stopping influxd (pid $pid)"
    kill "$pid" 2>/dev/null || true
    rm -f "$MARKERS/influxdb.started"
  else
    log "nothing to stop (influxdb.sh did not start the running server)"
  fi
}

cmd_status() {
  if influx_up; then
    printf '%-20s %-5s %s\n' influxdb up ":$INFLUX_PORT $(curl -fsSI -m 2 "http://127.0.0.1:$INFLUX_PORT/ping" | tr -d '\r' | sed -n 's/^X-Influxdb-Version: //Ip')"
  else
    printf '%-20s %-5s %s\n' influxdb down ":$INFLUX_PORT"; return 1
  fi
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
