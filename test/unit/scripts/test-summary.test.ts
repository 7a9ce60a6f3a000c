import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/tools.js';

// npm test's closing line (scripts/test-summary.mjs) over real reports: a real vitest run of a tiny project in a
// temporary folder, and real `opa test --format json` output shapes.
const dir = mkdtempSync(join(tmpdir(), 'mcp-authz-summary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const summary = (steps: string[], opa: unknown, vitestJson: string, ...flags: string[]) => {
  writeFileSync(join(dir, 'steps.txt'), steps.map((s) => `${s}\n`).join(''));
  writeFileSync(join(dir, 'opa.json'), JSON.stringify(opa));
  return spawnSync(
    process.execPath,
    [join(repoRoot, 'scripts/test-summary.mjs'), join(dir, 'steps.txt'), join(dir, 'opa.json'), vitestJson, ...flags],
    {
      encoding: 'utf8',
      cwd: dir,
    },
  );
};

describe('npm test closing line', () => {
  it('counts a test file that fails to load, a failed test, a skipped one and a failed step', () => {
    const project = join(dir, 'project');
    spawnSync('mkdir', ['-p', project]);
    writeFileSync(
      join(project, 'good.test.mjs'),
      "import { it, expect } from 'vitest';\nit('passes', () => expect(1).toBe(1));\nit.skip('is skipped', () => {});\n",
    );
    writeFileSync(join(project, 'bad.test.mjs'), "throw new Error('cannot start redis-server: spawn redis-server ENOENT');\n");
    writeFileSync(join(project, 'red.test.mjs'), "import { it, expect } from 'vitest';\nit('fails', () => expect(1).toBe(2));\n");
    const vitest = spawnSync(
      join(repoRoot, 'node_modules/.bin/vitest'),
      ['run', '--root', project, '--reporter=json', `--outputFile.json=${join(dir, 'vitest.json')}`],
      { encoding: 'utf8', cwd: project },
    );
    expect(vitest.status).not.toBe(0);

    const opa = [
      { package: 'data.mcp.authz', name: 'test_ok' },
      { package: 'data.mcp.authz', name: 'test_bad', fail: true },
    ];
    const r = summary(['services'], opa, join(dir, 'vitest.json'));
    expect(r.status).toBe(1);
    const lines = r.stdout.trim().split('\n');
    // passed: 1 vitest + 1 opa; failed: the load failure, the red test, the opa test, the services step.
    expect(lines.at(-1)).toBe('tests: 2 passed, 4 failed, 1 skipped');
    expect(r.stdout).toContain('FAILED: project/bad.test.mjs: the file failed outside its tests: cannot start redis-server');
    expect(r.stdout).toContain('FAILED: step services failed');
    expect(r.stdout).toContain('skipped: project/good.test.mjs > is skipped');
  });

  it('counts a missing report as a failure, and only the steps when nothing ran', () => {
    const missing = summary([], [], join(dir, 'no-such.json'));
    expect(missing.status).toBe(1);
    expect(missing.stdout.trim().split('\n').at(-1)).toBe('tests: 0 passed, 1 failed');
    const notRun = summary(['build'], [], join(dir, 'no-such.json'), '--not-run');
    expect(notRun.stdout.trim().split('\n').at(-1)).toBe('tests: 0 passed, 1 failed');
  });

  it('exits 0 with a clean line when everything passed', () => {
    writeFileSync(join(dir, 'green.json'), JSON.stringify({ success: true, numFailedTests: 0, testResults: [] }));
    const r = summary([], [{ package: 'p', name: 'test_a' }], join(dir, 'green.json'));
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('tests: 1 passed, 0 failed');
  });
});
