#!/usr/bin/env bash
# `npm run load -- --count 20 --concurrency 4`: posts N clips to the pipeline and reports
# how many completed, failed and were lost (tools/local/src/load.ts; options there).
# Against the local stack it sets up and starts the stack if needed (and stops it again
# if it started it); with --base-url it only runs the load against that API.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
for arg in "$@"; do
  if [ "$arg" = --base-url ] || [[ "$arg" == --base-url=* ]]; then
    exec node --conditions=@hfp/source --import tsx tools/local/src/load.ts "$@"
  fi
done
exec bash scripts/with-stack.sh node --conditions=@hfp/source --import tsx tools/local/src/load.ts "$@"
