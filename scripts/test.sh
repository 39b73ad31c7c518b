#!/usr/bin/env bash
# The one test command (`npm test`): set up what is missing, start the local stack if it
# is not running (and stop it afterwards), type-check, lint, check formatting, run unit,
# integration and end-to-end tests, and end with the line `N passed, N failed`.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
run() {
  # Each static check counts as one test of the suite (scripts/run-tests.mjs reads HFP_CHECKS).
  local checks=() name
  check() {
    name=$1; shift
    echo "[test] $name: $*"
    if "$@"; then checks+=("$name=ok"); else checks+=("$name=failed"); fi
  }
  check type-check npx tsc -b
  check lint npm run -s lint
  check format npm run -s format:check
  HFP_CHECKS=$(IFS=,; echo "${checks[*]}") node scripts/run-tests.mjs unit int e2e "$@"
}
export -f run
exec bash scripts/with-stack.sh bash -c 'run "$@"' run "$@"
