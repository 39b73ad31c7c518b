#!/usr/bin/env bash
# The one test command (`npm test`): set up what is missing, start the local stack if it
# is not running (and stop it afterwards), type-check, run unit, integration and
# end-to-end tests, and end with the line `N passed, N failed`.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
run() {
  echo "[test] type-check: tsc -b"
  if npx tsc -b; then export HFP_TYPECHECK=ok; else export HFP_TYPECHECK=failed; fi
  node scripts/run-tests.mjs unit int e2e "$@"
}
export -f run
exec bash scripts/with-stack.sh bash -c 'run "$@"' run "$@"
