#!/usr/bin/env bash
# Runs a command with the local stack up: sets up what is missing, starts the stack when
# it is not running (and stops it again afterwards), and exports its environment.
#   scripts/with-stack.sh <command> [args...]
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$HFP_ROOT"
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

bash scripts/setup.sh >&2 || { echo "setup failed (see the lines above); fix it and run the same command again" >&2; exit 1; }
started_stack=0
bash scripts/stack.sh status >/dev/null 2>&1 || started_stack=1
# Quietly: the wrapped command's last line (the test summary) stays the last line printed.
cleanup() { [ "$started_stack" = 1 ] && bash scripts/stack.sh down >/dev/null 2>&1 || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
bash scripts/stack.sh up >/dev/null || { echo "the local stack did not start (see the lines above)" >&2; exit 1; }
set -a; . "$HFP_STATE/env"; set +a
"$@"
