#!/usr/bin/env bash
# The one test command (`npm test`): set up what is missing, start the local stack if it
# is not running (and stop it afterwards), type-check, run unit, integration and
# end-to-end tests, and end with the line `N passed, N failed`.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

started_stack=0
if ! bash scripts/stack.sh status >/dev/null 2>&1; then
  started_stack=1
fi
cleanup() { [ "$started_stack" = 1 ] && bash scripts/stack.sh down; }
trap cleanup EXIT
if ! bash scripts/stack.sh up >/dev/null; then
  echo "the local stack did not start"; echo "0 passed, 1 failed"; exit 1
fi
set -a; . "$ROOT/.stack/env"; set +a

echo "[test] type-check: tsc -b"
if npx tsc -b; then export HFP_TYPECHECK=ok; else export HFP_TYPECHECK=failed; fi

node scripts/run-tests.mjs unit int e2e "$@"
