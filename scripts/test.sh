#!/usr/bin/env bash
# The one test command (npm test): build, type-check, lint and format check (Biome, as `npm run lint`), then the
# policy's own tests (opa test), then every vitest suite (unit, integration against a real server, grpcurl end to
# end, deployment checks).
# Ends with one summary line: "tests: N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/build.sh || exit 1
. scripts/env.sh  # Node.js 24 first on PATH when the machine has an older one
mkdir -p build
bash scripts/gen-proto.sh --check || exit 1
node_modules/.bin/tsc -p tsconfig.test.json || exit 1
node_modules/.bin/biome ci --error-on-warnings || { echo 'lint failed: `npm run format` fixes formatting and safe fixes; see docs/development.md' >&2; exit 1; }

echo "== opa test rego/"
opa test rego/ --format json > build/opa-test.json
opa_rc=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync("build/opa-test.json", "utf8") || "[]");
  for (const t of r) if (t.fail || t.error) console.log(`FAIL ${t.package}.${t.name}: ${JSON.stringify(t.error ?? t.output ?? "")}`);
  const pass = r.filter((t) => !t.fail && !t.error && !t.skip).length;
  console.log(`opa test: ${pass}/${r.length} passed`);
'

echo "== vitest"
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json=build/vitest.json "$@"
vitest_rc=$?

node -e '
  const fs = require("fs");
  const opa = JSON.parse(fs.readFileSync("build/opa-test.json", "utf8") || "[]");
  let passed = opa.filter((t) => !t.fail && !t.error && !t.skip).length;
  let failed = opa.filter((t) => t.fail || t.error).length;
  let skipped = 0;
  try {
    const v = JSON.parse(fs.readFileSync("build/vitest.json", "utf8"));
    passed += v.numPassedTests; failed += v.numFailedTests; skipped += v.numPendingTests + (v.numTodoTests ?? 0);
  } catch { failed += 1; }
  console.log(`tests: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
'
[[ $opa_rc -eq 0 && $vitest_rc -eq 0 ]]
