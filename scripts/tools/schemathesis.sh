#!/usr/bin/env bash
# Installs Schemathesis (PyPI) at a pinned version into its own virtualenv in the cache, for
# the contract test (tools/local/test/contract.e2e.test.ts). Safe to run again: a warm run
# checks the cached entry point and takes a second; a broken entry is removed and rebuilt.
# Usage: bash scripts/tools/schemathesis.sh     (prints the venv's bin directory on stdout)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

SCHEMATHESIS_VERSION=4.32.5
VENV=$HFP_CACHE/schemathesis-$SCHEMATHESIS_VERSION
EXE=$VENV/bin/schemathesis

do_install() {
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  verify_exe "$EXE" "$SCHEMATHESIS_VERSION" --version
}

if ! cached_exe "$EXE" "$SCHEMATHESIS_VERSION" --version; then
  # cached_exe removes only the entry point; a venv without a working one is rebuilt whole.
  if [ -e "$VENV" ]; then
    printf '[setup] cache entry %s has no working schemathesis %s; removing it and reinstalling\n' \
      "$VENV" "$SCHEMATHESIS_VERSION" >&2
    rm -rf "$VENV"
  fi
  need_python
  step "installing schemathesis $SCHEMATHESIS_VERSION from PyPI" do_install
fi
printf '%s\n' "$VENV/bin"
