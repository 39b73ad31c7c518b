#!/usr/bin/env bash
# Extracts spec.groups from prometheusrule.yaml into a plain rule file, then runs
# `promtool check rules` and `promtool test rules` on it. Tools: infra/tools/install.sh.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../../scripts/lib.sh"
CACHE=$HFP_CACHE
PY=$(ls -d "$CACHE"/kubernetes-validate-*/bin/python 2>/dev/null | tail -1)
PROMTOOL=$(command -v promtool || echo "$CACHE/bin/promtool")
[[ -x "$PY" && -x "$PROMTOOL" ]] || { echo "run infra/tools/install.sh first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY" -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); yaml.safe_dump({"groups": d["spec"]["groups"]}, open(sys.argv[2], "w"), sort_keys=False)' \
  "$HERE/prometheusrule.yaml" "$work/hfp.rules.yml"
cp "$HERE"/tests/*.test.yml "$work/"
"$PROMTOOL" check rules "$work/hfp.rules.yml"
"$PROMTOOL" test rules "$work"/*.test.yml
