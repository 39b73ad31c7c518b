#!/usr/bin/env bash
# The main job in one command (`npm start [video-file]`): set up what is missing, start
# the local stack and the five services, process a video end to end, and keep it all
# running until Ctrl-C. Pass --exit to stop after the video is processed.
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
node --import tsx tools/local/src/main.ts "$@"
