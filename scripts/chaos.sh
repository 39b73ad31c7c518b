#!/usr/bin/env bash
# `npm run chaos`: the fault matrix (tools/local/src/chaos.ts) with the local stack up.
exec bash "$(dirname "${BASH_SOURCE[0]}")/with-stack.sh" node --conditions=@hfp/source --import tsx tools/local/src/chaos.ts "$@"
