#!/usr/bin/env bash
# Installs the tools the infra tests use, outside the checkout, and is safe to run again:
#   kustomize   built from its Go module at a pinned version
#   Kubernetes JSON schemas, offline, from the PyPI package kubernetes-validate (in a
#   venv that also gives the tests PyYAML and jsonschema)
#   promtool    from Debian's package `prometheus`, with the server the e2e scrape test runs
# Usage: bash infra/tools/install.sh      (prints the paths it installed)
# Cache: ${HFP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hackathon-file-processor} (the local stack uses it too)
set -euo pipefail

KUSTOMIZE_VERSION=v5.8.1
KUBERNETES_VALIDATE_VERSION=1.37.0

CACHE="${HFP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hackathon-file-processor}"
BIN="$CACHE/bin"
mkdir -p "$BIN"
log() { printf '[infra-tools] %s\n' "$*" >&2; }

# A pinned Go binary lands as <name>-<version>, with <name> a symlink to it, so a
# version bump rebuilds and an unchanged pin costs nothing.
go_tool() {
  local name=$1 module=$2 version=$3
  local target="$BIN/$name-$version"
  if [[ ! -x "$target" ]]; then
    command -v go >/dev/null || { log "go is required to build $name"; exit 1; }
    log "building $name $version from $module (one core)"
    local tmp
    tmp=$(mktemp -d)
    # -p 1: the machine is shared; GOTOOLCHAIN=local: never fetch another Go.
    GOTOOLCHAIN=local GOFLAGS=-mod=mod GOBIN="$tmp" CGO_ENABLED=0 \
      go install -p 1 -trimpath -ldflags='-s -w' "$module@$version"
    mv "$tmp/$name" "$target"
    rm -rf "$tmp"
  fi
  ln -sfn "$name-$version" "$BIN/$name"
}

go_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION"

# Kubernetes JSON schemas: kubernetes-validate ships them inside its wheel.
VENV="$CACHE/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
if [[ ! -x "$VENV/bin/kubernetes-validate" ]]; then
  log "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
fi
SCHEMAS=$("$VENV/bin/python" - <<'PY'
import os, kubernetes_validate
print(os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema"))
PY
)
[[ -d "$SCHEMAS" ]] || { log "no schema folder at $SCHEMAS"; exit 1; }
ln -sfn "$SCHEMAS" "$CACHE/kubernetes-json-schema"

# promtool and prometheus: Debian's prometheus package. The package's service is not
# started here (policy-rc.d), only its binaries are wanted.
if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
  log "installing promtool and prometheus (Debian package prometheus)"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  policy=/usr/sbin/policy-rc.d
  made_policy=""
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee $policy >/dev/null && $SUDO chmod +x $policy && made_policy=1
  fi
  $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  [[ -n $made_policy ]] && $SUDO rm -f $policy
fi
ln -sfn "$(command -v promtool)" "$BIN/promtool"
ln -sfn "$(command -v prometheus)" "$BIN/prometheus"

log "kustomize:   $("$BIN/kustomize" version)"
log "promtool:    $("$BIN/promtool" --version 2>&1 | head -1)"
log "prometheus:  $("$BIN/prometheus" --version 2>&1 | head -1)"
log "schemas:     $CACHE/kubernetes-json-schema"
echo "$BIN"
