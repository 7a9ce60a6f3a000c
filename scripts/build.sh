#!/usr/bin/env bash
# Build everything `npm start` and the tests need:
#   1. Node.js 24 and the Go tools (opa, grpcurl) when missing (scripts/ensure-node.sh, scripts/install-tools.sh),
#   2. the embedded default policy: rego/ → dist/default-bundle.tar.gz with `opa build -t wasm`,
#   3. the TypeScript (tsc → dist/).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/ensure-node.sh
bash scripts/install-tools.sh
. scripts/env.sh
mkdir -p dist
opa build -t wasm -e mcp/authz/decision --ignore '*_test.rego' --ignore 'examples' -o dist/default-bundle.tar.gz rego/
node_modules/.bin/tsc -p tsconfig.json
chmod +x dist/main.js
