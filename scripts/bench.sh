#!/usr/bin/env bash
# `npm run bench`: set up, start the local stack if needed, run tools/local/src/bench.ts.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
bash scripts/setup.sh
started_stack=0
bash scripts/stack.sh status >/dev/null 2>&1 || started_stack=1
cleanup() { [ "$started_stack" = 1 ] && bash scripts/stack.sh down || true; }
trap cleanup EXIT
bash scripts/stack.sh up >/dev/null
set -a; . "$ROOT/.stack/env"; set +a
node --import tsx tools/local/src/bench.ts
