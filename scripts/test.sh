#!/usr/bin/env bash
# The one test command (npm test): build, the policy's own tests (opa test), then every vitest suite
# (unit, integration against a real server, grpcurl end to end).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/build.sh
. scripts/env.sh
bash scripts/gen-proto.sh --check
node_modules/.bin/tsc -p tsconfig.test.json
echo "== opa test rego/"

opa test rego/
echo "== vitest"
node_modules/.bin/vitest run "$@"
