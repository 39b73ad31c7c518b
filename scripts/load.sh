#!/usr/bin/env bash
# `npm run load -- --count 20 --concurrency 4`: posts N clips to the pipeline and reports
# how many completed, failed and were lost (tools/local/src/load.ts; options there).
# Against the local stack it sets up and starts the stack if needed (and stops it again
# if it started it); with --base-url it only runs the load against that API.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
for arg in "$@"; do
  if [ "$arg" = --base-url ] || [[ "$arg" == --base-url=* ]]; then
    exec node --import tsx tools/local/src/load.ts "$@"
  fi
done
bash scripts/setup.sh >&2
started_stack=0
bash scripts/stack.sh status >/dev/null 2>&1 || started_stack=1
cleanup() { [ "$started_stack" = 1 ] && bash scripts/stack.sh down || true; }
trap cleanup EXIT
bash scripts/stack.sh up >/dev/null
set -a; . "$ROOT/.stack/env"; set +a
node --import tsx tools/local/src/load.ts "$@"
