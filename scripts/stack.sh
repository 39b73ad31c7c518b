#!/usr/bin/env bash
# The local stack: real NATS (JetStream), FerretDB (SQLite backend) and moto (S3 + SQS)
# on 127.0.0.1. Binaries and the virtualenv are built once into a cache outside the
# checkout; server data lives in .stack/ inside it.
#
#   scripts/stack.sh up [--cluster | --single] | down | status | reset | env | build | dir
#
# NATS runs as one server, or (`up --cluster`, or HFP_NATS_CLUSTER=3) as a cluster of three
# on loopback, as in production: node i on HFP_NATS_PORT+i, HFP_NATS_MONITOR_PORT+i and
# routes on HFP_NATS_ROUTE_PORT+i, each with its own store; the env file then lists the three
# URLs and STREAM_REPLICAS=3. The choice is kept in the stack directory (nats-mode) until
# `up --single` or `up --cluster` changes it; switching stops the other mode's servers.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT=$HFP_ROOT
NATS_VERSION=v2.14.9
FERRETDB_VERSION=v1.24.2
MOTO_VERSION=5.1.22
WAITRESS_VERSION=3.0.2

CACHE=$HFP_CACHE
BIN=$CACHE/bin
STATE=$HFP_STATE

NATS_PORT=${HFP_NATS_PORT:-14222}
NATS_MONITOR_PORT=${HFP_NATS_MONITOR_PORT:-18222}
MONGO_PORT=${HFP_MONGO_PORT:-27117}
FERRET_DEBUG_PORT=${HFP_FERRET_DEBUG_PORT:-18088}
MOTO_PORT=${HFP_MOTO_PORT:-15000}
# Next to the client port by default, so stacks moved apart by HFP_NATS_PORT never share routes.
NATS_ROUTE_PORT=${HFP_NATS_ROUTE_PORT:-$((NATS_PORT + 2000))}
NATS_NODES=3

NATS_BIN=$BIN/nats-server-$NATS_VERSION
# Named for its patch (below), so a cached build without it is never reused.
FERRET_BIN=$BIN/ferretdb-$FERRETDB_VERSION-id-lookup
# moto runs under waitress (scripts/moto-server.py); a venv without it is never reused.
MOTO_VENV=$CACHE/moto-$MOTO_VERSION-waitress-$WAITRESS_VERSION

log() { printf '[stack] %s\n' "$*" >&2; }

# Each build writes into a fresh temporary directory of its own (never into the module
# source, whose ferretdb/ package directory once swallowed the binary), checks the result
# is an executable that answers --version with the pinned version, and only then moves it
# into the cache. GOTOOLCHAIN=local: never download another Go.
go_build_env() { GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0 "$@"; }

do_build_nats() {
  local out; out=$(mktemp -d)
  go_build_env env GOBIN="$out" go install -trimpath -ldflags='-s -w' "github.com/nats-io/nats-server/v2@$NATS_VERSION"
  verify_exe "$out/nats-server" "$NATS_VERSION" --version
  mkdir -p "$BIN" && mv "$out/nats-server" "$NATS_BIN" && rm -rf "$out"
}

# Two patches to FerretDB 1.24's SQLite backend, so the local read model costs what an indexed
# store's does (MongoDB answers every lookup below from its _id index), not a full scan per write:
# - its SQL names a document's _id as `_ferretdb_sjson->'$._id'`, while the unique index it
#   creates is on `_ferretdb_sjson->"_id"`: the same value, but SQLite matches an index by its
#   expression, so every _id lookup and every write (`UPDATE … WHERE <_id> = ?`) scanned the
#   table. The patch spells the column as the index does.
# - it narrows a query by _id only when the filter is exactly {_id: v}; {_id: v, lastSeq: {$lt: n}}
#   (each read-model write) read and parsed every stored job. The patch narrows any filter that
#   names a string or ObjectID _id; FerretDB still applies the whole filter to that row.
# Without them the local read model slowed with every job it held (docs/local-stack.md).
patch_ferretdb_id_lookup() {
  local meta="$1/internal/backends/sqlite/metadata/metadata.go" coll="$1/internal/backends/sqlite/collection.go"
  local column='	IDColumn = DefaultColumn + "->'"'"'$._id'"'"'"' filter='	if params.Filter.Len() == 1 {'
  if [ "$(grep -cxF "$column" "$meta")" != 1 ] || [ "$(grep -cxF "$filter" "$coll")" != 2 ]; then
    echo "FerretDB $FERRETDB_VERSION: its SQLite backend is not the one the _id patches were written for" >&2
    return 1
  fi
  awk -v want="$column" '$0 == want { print "\tIDColumn = DefaultColumn + `->\"_id\"`"; next } { print }' "$meta" >"$meta.new" &&
    mv "$meta.new" "$meta"
  # The first is Query's (the second, Explain's, only reports).
  awk -v want="$filter" '!done && $0 == want { print "\tif params.Filter.Len() >= 1 {"; done = 1; next } { print }' "$coll" >"$coll.new" &&
    mv "$coll.new" "$coll"
  grep -qxF '	IDColumn = DefaultColumn + `->"_id"`' "$meta" && grep -qxF '	if params.Filter.Len() >= 1 {' "$coll" ||
    { echo "FerretDB: the _id patches did not apply" >&2; return 1; }
}

do_build_ferretdb() {
  local dir src out
  dir=$(go_build_env go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
  [ -d "$dir" ] || { echo "go mod download gave no module directory for FerretDB $FERRETDB_VERSION" >&2; return 1; }
  src=$(mktemp -d) out=$(mktemp -d)
  cp -r "$dir/." "$src" && chmod -R u+w "$src"
  # The module zip ships an empty version file; FerretDB refuses to start without it.
  echo "$FERRETDB_VERSION" >"$src/build/version/version.txt"
  patch_ferretdb_id_lookup "$src"
  (cd "$src" && go_build_env go build -trimpath -ldflags='-s -w' -o "$out/ferretdb" ./cmd/ferretdb)
  verify_exe "$out/ferretdb" "$FERRETDB_VERSION" --version
  mkdir -p "$BIN" && mv "$out/ferretdb" "$FERRET_BIN" && rm -rf "$src" "$out"
}

do_build_moto() {
  rm -rf "$MOTO_VENV"
  python3 -m venv "$MOTO_VENV"
  "$MOTO_VENV/bin/pip" install --disable-pip-version-check "moto[server]==$MOTO_VERSION" "waitress==$WAITRESS_VERSION"
  moto_ok
}
# moto has no --version: the venv's Python must import the pinned moto's server and the
# pinned waitress, and the launcher must answer --help.
moto_ok() {
  verify_exe "$MOTO_VENV/bin/python" "$MOTO_VERSION $WAITRESS_VERSION" -c \
    'import importlib.metadata as m, moto.server, waitress; print(m.version("moto"), m.version("waitress"))' &&
    verify_exe "$MOTO_VENV/bin/python" "usage: moto-server.py" "$ROOT/scripts/moto-server.py" --help
}

build_nats() {
  cached_exe "$NATS_BIN" "$NATS_VERSION" --version && return
  need_go && step "building nats-server $NATS_VERSION from its Go module" do_build_nats
}

build_ferretdb() {
  cached_exe "$FERRET_BIN" "$FERRETDB_VERSION" --version && return
  need_go && step "building FerretDB $FERRETDB_VERSION from its Go module" do_build_ferretdb
}

build_moto() {
  moto_ok >/dev/null 2>&1 && return
  if [ -e "$MOTO_VENV" ]; then
    log "cache entry $MOTO_VENV is broken (moto $MOTO_VERSION or waitress $WAITRESS_VERSION does not import, or the launcher does not run); removing it and reinstalling"
    rm -rf "$MOTO_VENV"
  fi
  need_python && step "installing moto[server] $MOTO_VERSION and waitress $WAITRESS_VERSION from PyPI into a virtualenv" do_build_moto
}

build() { build_nats && build_ferretdb && build_moto; }

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

# The bus's users (libs/jetstream permissions.ts): the admin, which provisions and which the
# CLI and tests use, and one per service. Each password is random, made once per stack
# directory like jwt-secret, and only ever written to files of mode 600 there.
NATS_USERS="hfp-admin ingest-bridge extractor packager notifier projector"
nats_password() {
  local f="$STATE/nats-users/$1"
  mkdir -p "$STATE/nats-users" && chmod 700 "$STATE/nats-users"
  [ -s "$f" ] || (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$f")
  cat "$f"
}

nats_config() {
  for u in $NATS_USERS; do nats_password "$u" >/dev/null; done
  local cluster=()
  [ "$(nats_mode)" = cluster ] && cluster=(--cluster "$NATS_NODES" --route-port "$NATS_ROUTE_PORT")
  (cd "$ROOT" && node --conditions=@hfp/source --import tsx tools/local/src/nats-config.ts "$STATE" "$NATS_PORT" "$NATS_MONITOR_PORT" \
    "${cluster[@]}")
}

# single | cluster: HFP_NATS_CLUSTER (3 = cluster, 0 or 1 = single) wins, else the stack's last choice.
nats_mode() {
  case "${HFP_NATS_CLUSTER:-}" in
    "") cat "$STATE/nats-mode" 2>/dev/null || echo single ;;
    0 | 1) echo single ;;
    3) echo cluster ;;
    *) log "HFP_NATS_CLUSTER=$HFP_NATS_CLUSTER: only 3 (a cluster of three) or 1 (one server) is supported"; exit 2 ;;
  esac
}
# The NATS servers of a mode, by the names of their pid and log files.
nats_servers() { if [ "$1" = cluster ]; then seq -f 'nats-%g' 1 "$NATS_NODES"; else echo nats; fi; }
# client-port:monitor-port of one server.
nats_ports() {
  local i=${1#nats-}
  if [ "$1" = nats ]; then echo "$NATS_PORT:$NATS_MONITOR_PORT"; else echo "$((NATS_PORT + i)):$((NATS_MONITOR_PORT + i))"; fi
}
nats_list() { # scheme port-field: comma-separated URLs of the current mode's servers
  local out="" s
  for s in $(nats_servers "$(nats_mode)"); do out="$out${out:+,}$1://127.0.0.1:$(nats_ports "$s" | cut -d: -f"$2")"; done
  echo "$out"
}
# A cluster answers JetStream requests once its nodes have elected a meta leader.
meta_leader() { curl -fsS "http://127.0.0.1:$((NATS_MONITOR_PORT + 1))/jsz" | grep -q '"leader": *"hfp-local-'; }

# NATS_USER_<SERVICE> / NATS_PASSWORD_<SERVICE>: tools/local/src/services.ts gives each service
# its own as NATS_USER / NATS_PASSWORD. The unsuffixed pair is the admin's.
nats_env_lines() {
  local u var
  echo "NATS_USER=hfp-admin"
  echo "NATS_PASSWORD=$(nats_password hfp-admin)"
  for u in $NATS_USERS; do
    [ "$u" = hfp-admin ] && continue
    var=$(printf '%s' "$u" | tr 'a-z-' 'A-Z_')
    echo "NATS_USER_$var=$u"
    echo "NATS_PASSWORD_$var=$(nats_password "$u")"
  done
}

env_lines() {
  cat <<EOF
NATS_URL=$(nats_list nats 1)
NATS_MONITOR_URL=$(nats_list http 2)
STREAM_REPLICAS=$([ "$(nats_mode)" = cluster ] && echo 3 || echo 1)
$(nats_env_lines)
MONGO_URL=mongodb://127.0.0.1:$MONGO_PORT/
MONGO_DB=hfp
S3_ENDPOINT=http://127.0.0.1:$MOTO_PORT
SQS_ENDPOINT=http://127.0.0.1:$MOTO_PORT
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=test
AWS_SECRET_ACCESS_KEY=test
S3_BUCKET=hfp-media
SQS_INPUT_QUEUE=hfp-input
SQS_NOTIFICATIONS_QUEUE=hfp-notifications.fifo
AUTH_JWT_SECRET=$(jwt_secret)
EOF
}

provision() {
  (set -a; . "$STATE/env"; set +a; cd "$ROOT" && AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true node --conditions=@hfp/source --import tsx tools/hfp/src/main.ts provision >&2)
}

up() {
  case "${1:-}" in
    --cluster) export HFP_NATS_CLUSTER=3 ;;
    --single) export HFP_NATS_CLUSTER=1 ;;
    "") ;;
    *) echo "usage: $0 up [--cluster | --single]" >&2; exit 2 ;;
  esac
  build
  mkdir -p "$STATE/ferretdb"
  local mode other s
  mode=$(nats_mode)
  other=$([ "$mode" = cluster ] && echo single || echo cluster)
  for s in $(nats_servers "$other"); do stop_server "$s"; done
  echo "$mode" >"$STATE/nats-mode"
  # port:server:the variable that moves it
  local p port name var ports=()
  for s in $(nats_servers "$mode"); do
    IFS=: read -r port var <<<"$(nats_ports "$s")"
    ports+=("$port:$s:HFP_NATS_PORT" "$var:$s:HFP_NATS_MONITOR_PORT")
    [ "$s" = nats ] || ports+=("$((NATS_ROUTE_PORT + ${s#nats-})):$s:HFP_NATS_ROUTE_PORT")
  done
  for p in "${ports[@]}" "$MONGO_PORT:ferretdb:HFP_MONGO_PORT" "$FERRET_DEBUG_PORT:ferretdb:HFP_FERRET_DEBUG_PORT" \
    "$MOTO_PORT:moto:HFP_MOTO_PORT"; do
    IFS=: read -r port name var <<<"$p"
    if ! running "$name" && ! port_free "$port"; then
      log "port $port for $name is taken by another process; free it or choose another with $var=<port>"; exit 1
    fi
  done
  local missing=0
  for s in $(nats_servers "$mode"); do running "$s" || missing=1; done
  if [ "$missing" = 1 ]; then nats_config; fi
  for s in $(nats_servers "$mode"); do
    mkdir -p "$STATE/$s"
    start "$s" "$NATS_BIN" -c "$STATE/$s.conf"
  done
  start ferretdb "$FERRET_BIN" --handler=sqlite --sqlite-url="file:$STATE/ferretdb/" \
    --state-dir="$STATE/ferretdb" --listen-addr="127.0.0.1:$MONGO_PORT" \
    --debug-addr="127.0.0.1:$FERRET_DEBUG_PORT" --telemetry=disable --log-level=WARN
  start moto env MOTO_PORT="$MOTO_PORT" "$MOTO_VENV/bin/python" "$ROOT/scripts/moto-server.py" -H 127.0.0.1 -p "$MOTO_PORT"
  for s in $(nats_servers "$mode"); do
    wait_for "$s" curl -fsS "http://127.0.0.1:$(nats_ports "$s" | cut -d: -f2)/healthz?js-enabled-only=true"
  done
  if [ "$mode" = cluster ]; then
    wait_for nats-1 meta_leader
    # A restarted cluster elects its streams' leaders after the meta leader; until each node's
    # full health check passes, JetStream API requests (provisioning) time out.
    for s in $(nats_servers "$mode"); do wait_for "$s" curl -fsS "http://127.0.0.1:$(nats_ports "$s" | cut -d: -f2)/healthz"; done
  fi
  wait_for ferretdb tcp_open "$MONGO_PORT"
  wait_for moto curl -fsS -o /dev/null "http://127.0.0.1:$MOTO_PORT/moto-api/"
  env_lines >"$STATE/env"
  if [ "${HFP_SKIP_PROVISION:-0}" != 1 ]; then
    log "provisioning streams, consumers, buckets, queues and indexes"
    # A cluster restarted on its old state elects its streams' leaders for some seconds after
    # every node reports healthy; a JetStream request meanwhile times out, so try again.
    local try
    for try in 1 2 3 4; do
      if provision; then break; fi
      [ "$try" = 4 ] && { log "provisioning failed"; exit 1; }
      log "provisioning failed (attempt $try); trying again in 2 s"; sleep 2
    done
  fi
  log "stack is up; environment (also in $STATE/env):"
  sed "s/^\(NATS_PASSWORD[A-Z_]*\)=.*/\1=(in the env file)/" "$STATE/env"
}

stop_server() {
  local name=$1
  if running "$name"; then
    local p; p=$(pid_of "$name")
    log "stopping $name (pid $p)"
    kill "$p" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  fi
  rm -f "$STATE/$name.pid"
}

down() {
  local name
  for name in moto ferretdb $(nats_servers single) $(nats_servers cluster); do stop_server "$name"; done
}

status() {
  local rc=0 name
  for name in $(nats_servers "$(nats_mode)") ferretdb moto; do
    if running "$name"; then echo "$name: running (pid $(pid_of "$name"))"; else echo "$name: stopped"; rc=1; fi
  done
  return $rc
}

case "${1:-}" in
  up) up "${2:-}" ;;
  down) down ;;
  status) status ;;
  reset) down; rm -rf "$STATE"; log "removed $STATE" ;;
  env) env_lines ;;
  build) build ;;
  dir) echo "$STATE" ;;
  *) echo "usage: $0 up [--cluster|--single]|down|status|reset|env|build|dir" >&2; exit 2 ;;
esac
