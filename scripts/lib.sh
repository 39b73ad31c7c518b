# Sourced by the scripts in scripts/ and infra/tools/: where things live, how one setup
# step runs, and how a cached build is checked. One place decides each of these.
#
#   HFP_ROOT   the checkout
#   HFP_CACHE  built servers and tools (HFP_CACHE_DIR, else ~/.cache/hackathon-file-processor)
#   HFP_STATE  the local stack's data, logs and env file (HFP_STACK_DIR, else .stack/)

HFP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HFP_CACHE=${HFP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hackathon-file-processor}
HFP_STATE=${HFP_STACK_DIR:-$HFP_ROOT/.stack}
# Relative paths would change meaning as scripts cd; pin them to where the user stood.
case $HFP_CACHE in /*) ;; *) HFP_CACHE=$PWD/$HFP_CACHE ;; esac
case $HFP_STATE in /*) ;; *) HFP_STATE=$PWD/$HFP_STATE ;; esac
# The TypeScript side (libs/config `stackDir`, infra/test/lib/tools.ts) reads the same variables.
export HFP_STACK_DIR=$HFP_STATE HFP_CACHE_DIR=$HFP_CACHE

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

# step LABEL COMMAND...: runs COMMAND with its output in a log file and prints one line,
# "[setup] LABEL ... ok (12.3 s)"; on failure the line says so and the log's last 30
# lines follow, with the log's path.
step() {
  local label=$1; shift
  local log t0 rc=0
  mkdir -p "$HFP_CACHE/logs"
  log="$HFP_CACHE/logs/$(printf '%s' "$label" | tr -c 'A-Za-z0-9.-' '_').log"
  t0=$(date +%s%N)
  printf '[setup] %s ... ' "$label" >&2
  "$@" >"$log" 2>&1 || rc=$?
  local secs
  secs=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
  if [ "$rc" = 0 ]; then
    printf 'ok (%s s)\n' "$secs" >&2
    return 0
  fi
  printf 'FAILED after %s s (exit %s); last lines of %s:\n' "$secs" "$rc" "$log" >&2
  tail -n 30 "$log" | sed 's/^/[setup]   | /' >&2
  return "$rc"
}

# version_ge HAVE WANT: true when dotted version HAVE >= WANT.
version_ge() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}

# need_tool NAME HAVE WANT HOW: stops setup with a message naming what to install.
need_tool() {
  local name=$1 have=$2 want=$3 how=$4
  if [ -z "$have" ]; then
    printf '[setup] %s is required (>= %s) and was not found; %s\n' "$name" "$want" "$how" >&2
    return 1
  fi
  if ! version_ge "$have" "$want"; then
    printf '[setup] %s %s is too old: >= %s is required; %s\n' "$name" "$have" "$want" "$how" >&2
    return 1
  fi
}

go_version() { command -v go >/dev/null && go env GOVERSION 2>/dev/null | sed 's/^go//'; }
python_version() { command -v python3 >/dev/null && python3 -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])'; }

need_go() {
  need_tool Go "$(go_version || true)" 1.24 \
    "install Go 1.24 or newer (the official tarball; Debian's golang-go is older) and put it on PATH"
}
need_python() {
  need_tool Python "$(python_version || true)" 3.11 "install Python 3.11 or newer with its venv module"
}

# cached_exe PATH MATCH VERSION-ARGS...: true when PATH is a regular executable file whose
# version output (PATH VERSION-ARGS...) contains MATCH. A cache entry that exists but fails
# this is broken (a directory, a truncated file, a wrong build): it is removed, with a
# message, so the caller rebuilds it.
cached_exe() {
  local path=$1 match=$2; shift 2
  # The output is captured before it is searched: `cmd | grep -q` under pipefail fails
  # whenever grep exits before cmd has written everything (SIGPIPE).
  local out=""
  if [ -f "$path" ] && [ -x "$path" ] && out=$("$path" "$@" 2>&1) && [[ $out == *"$match"* ]]; then
    return 0
  fi
  if [ -e "$path" ] || [ -L "$path" ]; then
    printf '[setup] cache entry %s is broken (not an executable answering %s with %s); removing it and rebuilding\n' \
      "$path" "$*" "$match" >&2
    rm -rf "$path"
  fi
  return 1
}

# verify_exe PATH MATCH VERSION-ARGS...: after a build, the same check, failing loudly.
verify_exe() {
  local path=$1 match=$2; shift 2
  if [ ! -f "$path" ] || [ ! -x "$path" ]; then
    echo "build produced no executable file at $path" >&2
    ls -ld "$path" >&2 2>/dev/null || true
    return 1
  fi
  local out
  out=$("$path" "$@" 2>&1) || { echo "$path $* failed: $out" >&2; return 1; }
  [[ $out == *"$match"* ]] || { echo "$path $* printed '$out', not $match" >&2; return 1; }
}
