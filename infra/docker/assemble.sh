#!/usr/bin/env bash
# Lays out the runtime image's /app from a built checkout (`npm run build` first): the
# workspace manifests and the lockfile, each package's compiled dist/ (JavaScript, source
# maps and the package.json copies the code reads its version from; no declarations, no
# tests), the public OpenAPI document, and then the production dependencies only.
# The Dockerfile runs this, and infra/test/image.e2e.test.ts runs the same script, so the
# test starts the services from exactly what the image holds.
#   infra/docker/assemble.sh SRC OUT
# npm settings come from the environment as usual (the test sets npm_config_prefer_offline).
set -euo pipefail
[[ $# -eq 2 ]] || { sed -n '2,8p' "$0" >&2; exit 2; }
src=$(cd "$1" && pwd)
out=$2
mkdir -p "$out/docs"
out=$(cd "$out" && pwd)
cp "$src/package.json" "$src/package-lock.json" "$out/"
cp "$src/docs/openapi.json" "$out/docs/"
for dir in "$src"/libs/*/ "$src"/services/*/ "$src"/tools/*/; do
  rel=${dir#"$src/"}
  rel=${rel%/}
  mkdir -p "$out/$rel"
  # Every workspace's manifest, or `npm ci` finds the lockfile out of date.
  cp "$dir/package.json" "$out/$rel/"
  # The local runner starts the services from their sources; it has no place in the image.
  [[ $rel == tools/local ]] && continue
  if [[ ! -f $dir/dist/src/index.js && ! -f $dir/dist/src/main.js ]]; then
    echo "assemble: $rel has no dist/src/index.js or main.js; run npm run build first" >&2
    exit 1
  fi
  (cd "$dir" && find dist -path dist/test -prune -o -type f \( -name '*.js' -o -name '*.js.map' -o -name '*.json' \) -print0 |
    xargs -0 cp --parents -t "$out/$rel/")
done
# Optional dependencies are only ffmpeg-static, whose binary download the image does not
# want (ffmpeg comes from Debian); no production dependency needs an install script.
cd "$out"
npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error
