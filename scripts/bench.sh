#!/usr/bin/env bash
# `npm run bench`: the benchmark (tools/local/src/bench.ts) with the local stack up.
exec bash "$(dirname "${BASH_SOURCE[0]}")/with-stack.sh" node --conditions=@hfp/source --import tsx tools/local/src/bench.ts "$@"
