#!/usr/bin/env bash
# The one test command (npm test). On a bare machine it first installs what the tests need, the way `npm start`
# does: Node.js 24, npm packages, opa and grpcurl (scripts/build.sh), redis-server and chromium
# (scripts/install-services.sh: Debian packages when root, otherwise it names the command to run). Then: build,
# descriptor check, type-check, lint and format check (Biome, as `npm run lint`), the layering (dependency-cruiser,
# as `npm run layers`), the policy's own tests
# (opa test), every vitest suite (unit, integration against a real server, grpcurl end to end, deployment checks).
#
# Every step runs even when an earlier one failed, and counts: the closing line
#   tests: N passed, N failed[, N skipped]
# counts failed tests, test files that failed to load, and each failed step (install, build, type-check, ...),
# so nothing a fresh machine lacks is skipped silently (scripts/test-summary.mjs).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mkdir -p build
steps=build/test-steps.txt
: > "$steps"
# step NAME CMD...: run one step; a failure is recorded (and counted in the closing line), the run goes on.
step() {
  local name="$1"; shift
  if ! "$@"; then
    echo "$name" >> "$steps"
    echo "npm test: step failed: $name" >&2
    return 1
  fi
}

if ! step build bash scripts/build.sh; then
  . scripts/env.sh
  node scripts/test-summary.mjs "$steps" build/opa-test.json build/vitest.json --not-run
  exit 1
fi
. scripts/env.sh  # Node.js 24 first on PATH when the machine has an older one
step services bash scripts/install-services.sh
step descriptors bash scripts/gen-proto.sh --check
step typecheck node_modules/.bin/tsc -p tsconfig.test.json
step lint node_modules/.bin/biome ci --error-on-warnings || echo 'lint: `npm run format` fixes formatting and safe fixes; see docs/development.md' >&2
step layers node_modules/.bin/depcruise src --config .dependency-cruiser.cjs --output-type err || echo 'layers: imports must point down the layers of docs/development.md' >&2

echo "== opa test rego/"
rm -f build/opa-test.json build/vitest.json
opa test rego/ --format json > build/opa-test.json  # failures are counted from the report

echo "== vitest"
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json=build/vitest.json "$@"

node scripts/test-summary.mjs "$steps" build/opa-test.json build/vitest.json
