#!/usr/bin/env bash
# The local stack: real NATS (JetStream), FerretDB (SQLite backend) and moto (S3 + SQS)
# on 127.0.0.1. Binaries and the virtualenv are built once into a cache outside the
# checkout; server data lives in .stack/ inside it.
#
#   scripts/stack.sh up | down | status | reset | env | build
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NATS_VERSION=v2.14.9
FERRETDB_VERSION=v1.24.2
MOTO_VERSION=5.1.22

CACHE=${HFP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hackathon-file-processor}
BIN=$CACHE/bin
STATE=${HFP_STACK_DIR:-$ROOT/.stack}

NATS_PORT=${HFP_NATS_PORT:-14222}
NATS_MONITOR_PORT=${HFP_NATS_MONITOR_PORT:-18222}
MONGO_PORT=${HFP_MONGO_PORT:-27117}
FERRET_DEBUG_PORT=${HFP_FERRET_DEBUG_PORT:-18088}
MOTO_PORT=${HFP_MOTO_PORT:-15000}

NATS_BIN=$BIN/nats-server-$NATS_VERSION
FERRET_BIN=$BIN/ferretdb-$FERRETDB_VERSION
MOTO_VENV=$CACHE/moto-$MOTO_VERSION

log() { printf '[stack] %s\n' "$*" >&2; }

build_nats() {
  [ -x "$NATS_BIN" ] && return
  log "building nats-server $NATS_VERSION (once, cached in $BIN)"
  local tmp; tmp=$(mktemp -d)
  GOBIN=$tmp GOFLAGS=-mod=mod go install "github.com/nats-io/nats-server/v2@$NATS_VERSION"
  mkdir -p "$BIN" && mv "$tmp/nats-server" "$NATS_BIN" && rm -rf "$tmp"
}

build_ferretdb() {
  [ -x "$FERRET_BIN" ] && return
  log "building FerretDB $FERRETDB_VERSION (once, cached in $BIN)"
  local dir tmp
  dir=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
  tmp=$(mktemp -d)
  cp -r "$dir/." "$tmp" && chmod -R u+w "$tmp"
  # The module zip ships an empty version file; FerretDB refuses to start without it.
  echo "$FERRETDB_VERSION" > "$tmp/build/version/version.txt"
  (cd "$tmp" && go build -o "$tmp/ferretdb" ./cmd/ferretdb)
  mkdir -p "$BIN" && mv "$tmp/ferretdb" "$FERRET_BIN" && rm -rf "$tmp"
}

build_moto() {
  [ -x "$MOTO_VENV/bin/moto_server" ] && return
  log "installing moto[server]==$MOTO_VERSION into $MOTO_VENV (once)"
  rm -rf "$MOTO_VENV"
  python3 -m venv "$MOTO_VENV"
  "$MOTO_VENV/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION"
}

build() { build_nats; build_ferretdb; build_moto; }

pid_of() { [ -f "$STATE/$1.pid" ] && cat "$STATE/$1.pid" || true; }
running() { local p; p=$(pid_of "$1"); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() { # name cmd...
  local name=$1; shift
  if running "$name"; then log "$name already running (pid $(pid_of "$name"))"; return; fi
  log "starting $name"
  nohup "$@" >"$STATE/$name.log" 2>&1 &
  echo $! >"$STATE/$name.pid"
}

wait_for() { # name check-command...
  local name=$1; shift
  for _ in $(seq 1 150); do
    if "$@" >/dev/null 2>&1; then log "$name healthy"; return 0; fi
    running "$name" || { log "$name exited; last log lines:"; tail -20 "$STATE/$name.log" >&2; return 1; }
    sleep 0.2
  done
  log "$name not healthy after 30s; last log lines:"; tail -20 "$STATE/$name.log" >&2
  return 1
}

tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A random local signing secret for development tokens, made once per checkout; never committed.
jwt_secret() {
  mkdir -p "$STATE"
  [ -s "$STATE/jwt-secret" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$STATE/jwt-secret"
  cat "$STATE/jwt-secret"
}

env_lines() {
  cat <<EOF
NATS_URL=nats://127.0.0.1:$NATS_PORT
MONGO_URL=mongodb://127.0.0.1:$MONGO_PORT/
MONGO_DB=hfp
S3_ENDPOINT=http://127.0.0.1:$MOTO_PORT
SQS_ENDPOINT=http://127.0.0.1:$MOTO_PORT
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=test
AWS_SECRET_ACCESS_KEY=test
S3_BUCKET=hfp-media
SQS_INPUT_QUEUE=hfp-input
SQS_NOTIFICATIONS_QUEUE=hfp-notifications
AUTH_JWT_SECRET=$(jwt_secret)
EOF
}

up() {
  build
  mkdir -p "$STATE/nats" "$STATE/ferretdb"
  for p in "$NATS_PORT:nats" "$MONGO_PORT:ferretdb" "$MOTO_PORT:moto"; do
    if ! running "${p#*:}" && ! port_free "${p%%:*}"; then
      log "port ${p%%:*} for ${p#*:} is taken by another process; set HFP_*_PORT"; exit 1
    fi
  done
  start nats "$NATS_BIN" -a 127.0.0.1 -p "$NATS_PORT" -m "$NATS_MONITOR_PORT" \
    -js -sd "$STATE/nats" -n hfp-local
  start ferretdb "$FERRET_BIN" --handler=sqlite --sqlite-url="file:$STATE/ferretdb/" \
    --state-dir="$STATE/ferretdb" --listen-addr="127.0.0.1:$MONGO_PORT" \
    --debug-addr="127.0.0.1:$FERRET_DEBUG_PORT" --telemetry=disable --log-level=WARN
  start moto env MOTO_PORT="$MOTO_PORT" "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT"
  wait_for nats curl -fsS "http://127.0.0.1:$NATS_MONITOR_PORT/healthz?js-enabled-only=true"
  wait_for ferretdb tcp_open "$MONGO_PORT"
  wait_for moto curl -fsS -o /dev/null "http://127.0.0.1:$MOTO_PORT/moto-api/"
  env_lines >"$STATE/env"
  if [ "${HFP_SKIP_PROVISION:-0}" != 1 ]; then
    log "provisioning streams, consumers, buckets, queues and indexes"
    (set -a; . "$STATE/env"; set +a; cd "$ROOT" && AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true node --import tsx tools/hfp/src/main.ts provision >&2)
  fi
  log "stack is up; environment (also in $STATE/env):"
  cat "$STATE/env"
}

down() {
  for name in moto ferretdb nats; do
    if running "$name"; then
      local p; p=$(pid_of "$name")
      log "stopping $name (pid $p)"
      kill "$p" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$p" 2>/dev/null || true
    fi
    rm -f "$STATE/$name.pid"
  done
}

status() {
  local rc=0
  for name in nats ferretdb moto; do
    if running "$name"; then echo "$name: running (pid $(pid_of "$name"))"; else echo "$name: stopped"; rc=1; fi
  done
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  reset) down; rm -rf "$STATE"; log "removed $STATE" ;;
  env) env_lines ;;
  build) build ;;
  *) echo "usage: $0 up|down|status|reset|env|build" >&2; exit 2 ;;
esac
