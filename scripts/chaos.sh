#!/usr/bin/env bash
# `npm run chaos`: tools/local/src/chaos.ts with the local stack up; `--help` needs no stack.
here="$(dirname "${BASH_SOURCE[0]}")"
for arg in "$@"; do
  if [ "$arg" = "--help" ] || [ "$arg" = "-h" ]; then
    cd "$here/.." && exec node --conditions=@hfp/source --import tsx tools/local/src/chaos.ts "$@"
  fi
done
exec bash "$here/with-stack.sh" node --conditions=@hfp/source --import tsx tools/local/src/chaos.ts "$@"
