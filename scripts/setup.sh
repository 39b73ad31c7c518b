#!/usr/bin/env bash
# Installs what a fresh machine lacks: Debian packages, npm dependencies, and the local
# stack's servers and test tools (built once into $HFP_CACHE_DIR, outside the checkout).
# Safe to run repeatedly: a warm run checks each cached binary and takes seconds.
# Each step prints one line with the time it took; a failing step prints the tail of
# its output and the path of its full log.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$HFP_ROOT"
t0=$(date +%s)

node_version=$(node -p 'process.versions.node' 2>/dev/null || true)
need_tool Node.js "$node_version" 20.19 "install Node.js 20.19 or newer (22 or 24 LTS), with npm"

need_apt=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || need_apt+=(ffmpeg)
# The contact sheet's font (EXTRACTOR_FONT_FILE's default).
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
command -v curl >/dev/null || need_apt+=(curl)
command -v zip >/dev/null || need_apt+=(zip)
command -v unzip >/dev/null || need_apt+=(unzip)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
# The web page's e2e test drives Debian's chromium (npm packages cannot download a browser here).
command -v chromium >/dev/null || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || { echo "[setup] missing: ${need_apt[*]}; install them with your package manager" >&2; exit 1; }
  apt_install() {
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "$@"
  }
  step "installing Debian packages: ${need_apt[*]}" apt_install "${need_apt[@]}"
fi

# npm ci when node_modules is missing or older than the lockfile.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "installing npm dependencies (npm ci)" npm ci --no-audit --no-fund
fi

bash scripts/stack.sh build
bash infra/tools/install.sh >/dev/null
bash scripts/tools/schemathesis.sh >/dev/null
printf '[setup] ready in %s s (cache: %s)\n' "$(($(date +%s) - t0))" "$HFP_CACHE" >&2
