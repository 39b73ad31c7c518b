#!/usr/bin/env bash
# Installs the tools the infra tests use, outside the checkout, and is safe to run again:
#   kustomize   built from its Go module at a pinned version
#   Kubernetes JSON schemas, offline, from the PyPI package kubernetes-validate (in a
#   venv that also gives the tests PyYAML and jsonschema)
#   promtool    from Debian's package `prometheus`, with the server the e2e scrape test runs
# Usage: bash infra/tools/install.sh      (prints the paths it installed)
# Cache: $HFP_CACHE_DIR, else ~/.cache/hackathon-file-processor (scripts/lib.sh; the local stack uses it too)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

KUSTOMIZE_VERSION=v5.8.1
KUBERNETES_VALIDATE_VERSION=1.37.0

CACHE=$HFP_CACHE
BIN="$CACHE/bin"
mkdir -p "$BIN"
log() { printf '[infra-tools] %s\n' "$*" >&2; }

# A pinned Go binary lands as <name>-<version>, with <name> a symlink to it, so a
# version bump rebuilds and an unchanged pin costs nothing. It is built into a temporary
# directory of its own and checked (an executable answering VERSION-ARGS with the pin)
# before it enters the cache.
do_go_tool() {
  local name=$1 module=$2 version=$3 target=$4; shift 4
  local out; out=$(mktemp -d)
  # GOTOOLCHAIN=local: never fetch another Go.
  GOTOOLCHAIN=local GOFLAGS=-mod=mod GOBIN="$out" CGO_ENABLED=0 \
    go install -trimpath -ldflags='-s -w' "$module@$version"
  verify_exe "$out/$name" "$version" "$@"
  mv "$out/$name" "$target" && rm -rf "$out"
}
go_tool() {
  local name=$1 module=$2 version=$3; shift 3
  local target="$BIN/$name-$version"
  if ! cached_exe "$target" "$version" "$@"; then
    need_go
    step "building $name $version from its Go module" do_go_tool "$name" "$module" "$version" "$target" "$@"
  fi
  ln -sfn "$name-$version" "$BIN/$name"
}

go_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" version

# Kubernetes JSON schemas: kubernetes-validate ships them inside its wheel.
VENV="$CACHE/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
schemas_dir() {
  "$VENV/bin/python" -c 'import os, kubernetes_validate; print(os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema"))'
}
do_kubernetes_validate() {
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  [[ -d "$(schemas_dir)" ]] || { echo "kubernetes-validate installed no schema folder" >&2; return 1; }
}
if ! { [[ -x "$VENV/bin/python" ]] && [[ -d "$(schemas_dir 2>/dev/null)" ]]; }; then
  [[ -e "$VENV" ]] && log "cache entry $VENV is broken (no schema folder); removing it and reinstalling"
  need_python
  step "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION from PyPI" do_kubernetes_validate
fi
ln -sfn "$(schemas_dir)" "$CACHE/kubernetes-json-schema"

# promtool and prometheus: Debian's prometheus package. The package's service is not
# started here (policy-rc.d), only its binaries are wanted.
install_prometheus() {
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  local policy=/usr/sbin/policy-rc.d made_policy=""
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee $policy >/dev/null && $SUDO chmod +x $policy && made_policy=1
  fi
  local rc=0
  $SUDO apt-get install -y --no-install-recommends prometheus || rc=$?
  [[ -n $made_policy ]] && $SUDO rm -f $policy
  return $rc
}
if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
  command -v apt-get >/dev/null || { log "promtool and prometheus are missing; install Prometheus 2.x with your package manager"; exit 1; }
  step "installing promtool and prometheus (Debian package prometheus)" install_prometheus
fi
ln -sfn "$(command -v promtool)" "$BIN/promtool"
ln -sfn "$(command -v prometheus)" "$BIN/prometheus"

echo "kustomize:   $("$BIN/kustomize" version)"
echo "promtool:    $("$BIN/promtool" --version 2>&1 | head -1)"
echo "prometheus:  $("$BIN/prometheus" --version 2>&1 | head -1)"
echo "schemas:     $CACHE/kubernetes-json-schema"
echo "$BIN"
