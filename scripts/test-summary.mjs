#!/usr/bin/env node
// The closing line of `npm test` (scripts/test.sh):
//   node scripts/test-summary.mjs STEPS OPA_JSON VITEST_JSON [--not-run]
// STEPS lists the steps that failed (one name a line: build, services, typecheck, lint, ...); OPA_JSON is
// `opa test --format json`; VITEST_JSON is vitest's json reporter. Every failure counts once in
//   tests: N passed, N failed[, N skipped]
// a failed test, a test file that failed to load or crashed outside its tests, a failed step, and a report that is
// missing or unreadable (the runner did not finish). Skipped tests are named above the line, with their file.
// With --not-run (the build failed, nothing ran) only the steps count. Exits 1 when anything failed.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const [stepsFile, opaFile, vitestFile, mode] = process.argv.slice(2);
const notRun = mode === '--not-run';
const failures = [];
const skips = [];
let passed = 0;

const read = (file) => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
};

for (const name of readFileSync(stepsFile, 'utf8').split('\n').filter(Boolean)) failures.push(`step ${name} failed (its output is above)`);

if (!notRun) {
  const opa = read(opaFile);
  if (!Array.isArray(opa)) failures.push(`opa test: no report (${opaFile} missing or unreadable)`);
  else {
    for (const t of opa) {
      if (t.fail || t.error) failures.push(`opa test ${t.package}.${t.name}: ${JSON.stringify(t.error ?? t.output ?? 'failed')}`);
      else if (t.skip) skips.push(`opa test ${t.package}.${t.name}`);
      else passed += 1;
    }
  }

  const vitest = read(vitestFile);
  if (!vitest || !Array.isArray(vitest.testResults))
    failures.push(`vitest: no report (${vitestFile} missing or unreadable: the runner did not finish)`);
  else {
    let fileFailures = 0;
    for (const file of vitest.testResults) {
      const name = relative(process.cwd(), file.name);
      let failedHere = 0;
      for (const a of file.assertionResults) {
        if (a.status === 'passed') passed += 1;
        else if (a.status === 'failed') {
          failedHere += 1;
          failures.push(`${name} > ${a.fullName}`);
        } else skips.push(`${name} > ${a.fullName} (${a.status})`);
      }
      // A file that failed with no failed test in it did not load, or failed in a hook or outside its tests.
      if (file.status === 'failed' && failedHere === 0) {
        fileFailures += 1;
        failures.push(
          `${name}: the file failed outside its tests: ${String(file.message ?? '')
            .split('\n')[0]
            .slice(0, 300)}`,
        );
      }
    }
    if (vitest.success === false && fileFailures === 0 && vitest.numFailedTests === 0)
      failures.push('vitest: the run failed outside any test file (unhandled error; see above)');
  }
}

for (const s of skips) console.log(`skipped: ${s}`);
for (const f of failures) console.log(`FAILED: ${f}`);
console.log(`tests: ${passed} passed, ${failures.length} failed${skips.length ? `, ${skips.length} skipped` : ''}`);
process.exit(failures.length ? 1 : 0);
