#!/usr/bin/env bash
# Make the checkout ready to run, doing only what is missing or out of date (a built tree takes well under a
# second, so `npm start`, `npm run check` and bin/mcp-authz call it every time):
#   1. Node.js 24 (scripts/ensure-node.sh) and, when missing, opa and grpcurl (scripts/install-tools.sh);
#   2. npm ci, when node_modules is missing or older than package.json / package-lock.json;
#   3. the embedded default policy: rego/ → dist/default-bundle.tar.gz with `opa build -t wasm`, when rego/ changed;
#   4. the TypeScript (tsc → dist/), when src/ or the tsconfig changed.
#   scripts/build.sh           build what changed
#   scripts/build.sh --force   rebuild steps 3 and 4 regardless
# Progress goes to stderr, and only when a step runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
force=0
[[ "${1:-}" == "--force" ]] && force=1

bash scripts/ensure-node.sh
. scripts/env.sh
bash scripts/install-tools.sh

say() { echo "build: $*" >&2; }
# stale STAMP PATH...: true when STAMP is missing or any PATH (file or directory, recursively) is newer.
stale() {
  local stamp="$1"; shift
  [[ $force == 1 || ! -e "$stamp" ]] && return 0
  [[ -n "$(find "$@" -newer "$stamp" -print -quit 2>/dev/null)" ]]
}

if [[ ! -e node_modules/.package-lock.json ]] || [[ -n "$(find package.json package-lock.json -newer node_modules/.package-lock.json -print -quit)" ]]; then
  say "npm ci (node_modules missing or older than package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error >&2
  touch node_modules/.package-lock.json
fi

mkdir -p dist
if stale dist/default-bundle.tar.gz rego; then
  say "opa build rego/ → dist/default-bundle.tar.gz"
  opa build -t wasm -e mcp/authz/decision --ignore '*_test.rego' --ignore 'examples' -o dist/default-bundle.tar.gz.tmp rego/
  mv dist/default-bundle.tar.gz.tmp dist/default-bundle.tar.gz
fi

if stale dist/.tsc-stamp src tsconfig.json package-lock.json || [[ ! -e dist/main.js ]]; then
  say "tsc (src/ changed)"
  touch dist/.tsc-stamp.next
  node_modules/.bin/tsc -p tsconfig.json
  chmod +x dist/main.js
  mv dist/.tsc-stamp.next dist/.tsc-stamp
fi
